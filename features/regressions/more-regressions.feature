@regression
Feature: More upstream regressions of controller.md §8

  Background:
    Given a service network "my-hotel" associated with every cluster
    And "cluster-b" has applied:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: amazon-vpc-lattice}
      spec: {controllerName: application-networking.k8s.aws/gateway-api-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: my-hotel}
      spec:
        gatewayClassName: amazon-vpc-lattice
        listeners: [{name: http, protocol: HTTP, port: 80}]
      """

  @issue-267 @ports
  Scenario: The port annotation limits the targets to that Service port
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: ports}
      spec:
        ports: [{name: web, port: 80, targetPort: 8080}, {name: admin, port: 9000, targetPort: 9090}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: ports-1, labels: {kubernetes.io/service-name: ports}}
      addressType: IPv4
      ports: [{name: web, port: 8080}, {name: admin, port: 9090}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: ports
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/port: "80"}
      """
    Then the targets of export default/ports of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 8080 |

  @issue-243 @ports
  Scenario: A named targetPort resolves through the EndpointSlice
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: named}
      spec:
        ports: [{name: http, port: 80, targetPort: http-web}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: named-1, labels: {kubernetes.io/service-name: named}}
      addressType: IPv4
      ports: [{name: http, port: 3000}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: named
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/named of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTP     | HTTP1   |
    And the targets of export default/named of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 3000 |

  # The groups are made with their protocols; under v2.1.3 the GC then takes the unused group
  # of the second exported port at its first pass, 30 seconds in (H-1).
  @issue-756 @issue-365 @issue-592 @issue-583 @virtual-time @reference-controller
  Scenario Outline: GRPC and TLS exports get their protocols (<profile>)
    Given the controllers run profile <profile>
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: proto}
      spec:
        ports: [{name: grpc, port: 50051, targetPort: 50051}, {name: tls, port: 443, targetPort: 8443}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: proto
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec:
        exportedPorts: [{port: 50051, routeType: GRPC}, {port: 443, routeType: TLS}]
      """
    Then export default/proto of "cluster-a" has the target groups:
      | port  | protocol | version |
      | 443   | TCP      | -       |
      | 50051 | HTTP     | GRPC    |
    When 30 seconds pass
    Then for 60 seconds, export default/proto of "cluster-a" has <left> target groups

    Examples:
      | profile | left |
      | v2.1.3  | 1    |
      | fixed   | 2    |

  @issue-853
  Scenario: A TargetGroupPolicy sets the protocol and version of an exported port
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: secure}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: TargetGroupPolicy
      metadata: {name: secure}
      spec:
        targetRef: {group: application-networking.k8s.aws, kind: ServiceExport, name: secure}
        protocol: HTTPS
        protocolVersion: HTTP2
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: secure
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/secure of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTPS    | HTTP2   |

  @issue-665 @weights
  Scenario: Same-named Services in two clusters are routed separately with export-name
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: checkout}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout-cluster1
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/service-name: checkout}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "cluster-b" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: checkout}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout-cluster2
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/service-name: checkout}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout-1
        annotations: {application-networking.k8s.aws/export-name: checkout-cluster1, application-networking.k8s.aws/aws-eks-cluster-name: cluster-a}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout-2
        annotations: {application-networking.k8s.aws/export-name: checkout-cluster2, application-networking.k8s.aws/aws-eks-cluster-name: cluster-b}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: checkout}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs:
          - {kind: ServiceImport, name: checkout-1, port: 80, weight: 50}
          - {kind: ServiceImport, name: checkout-2, port: 80, weight: 50}
      """
    Then HTTPRoute default/checkout in "cluster-b" forwards to:
      | group                            | cluster   | vpc                   | port | weight |
      | export default/checkout-cluster1 | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 50     |
      | export default/checkout-cluster2 | cluster-b | vpc-0bbbbbbbbbbbbbbb2 | 80   | 50     |

  @issue-688 @issue-690 @virtual-time @lattice-simulator
  Scenario: An export without the federation annotation makes no target group calls
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: quiet}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata: {name: quiet}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And 60 seconds pass
    Then Lattice received exactly 0 CreateTargetGroup calls
    And Lattice received exactly 0 RegisterTargets calls

  @issue-453
  Scenario: A same-named route in another cluster is Conflicted
    When "cluster-a" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: amazon-vpc-lattice}
      spec: {controllerName: application-networking.k8s.aws/gateway-api-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: my-hotel}
      spec:
        gatewayClassName: amazon-vpc-lattice
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: local}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: same}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{name: local, port: 80}]
      """
    Then a Lattice service named "same-default" exists
    When "cluster-b" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: local}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: same}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{name: local, port: 80}]
      """
    Then HTTPRoute default/same in "cluster-b" has Accepted=False with reason Conflicted

  @issue-77
  Scenario: A second route cannot use an exported target group another route uses
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: popular}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: popular
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: popular}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: first}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: popular, port: 80}]
      """
    Then HTTPRoute default/first in "cluster-b" forwards to:
      | group                  | cluster   | vpc                   | port | weight |
      | export default/popular | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |
    When "cluster-b" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: second}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: popular, port: 80}]
      """
    Then "cluster-b" recorded a FailedDeployModel event for default/second saying "ConflictException"
    And HTTPRoute default/second in "cluster-b" forwards to nothing

  @issue-968
  Scenario: An external target group by ARN that does not exist is ExternalTargetGroupNotFound
    When "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: external
        annotations: {application-networking.k8s.aws/target-group-arn: "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0000000000000000a"}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: external}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: external, port: 80}]
      """
    Then HTTPRoute default/external in "cluster-b" has ResolvedRefs=False with reason ExternalTargetGroupNotFound

  @issue-476
  Scenario: A rollout leaves no stale IPs
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: rollout}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: rollout-1, labels: {kubernetes.io/service-name: rollout}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.0.1.1]}, {addresses: [10.0.1.2]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: rollout
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And service default/rollout in "cluster-a" has the endpoints "10.0.9.1, 10.0.9.2, 10.0.9.3"
    Then the targets of export default/rollout of "cluster-a" are:
      | ip       | port |
      | 10.0.9.1 | 8080 |
      | 10.0.9.2 | 8080 |
      | 10.0.9.3 | 8080 |

  # The GC of #485 deleted target groups older than five minutes that a rule was about to use.
  @issue-485 @virtual-time @lattice-simulator
  Scenario: The GC keeps an old target group that a rule uses
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: kept}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: kept
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And 400 seconds pass
    And "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: kept}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: kept}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: kept, port: 80}]
      """
    Then for 120 seconds, HTTPRoute default/kept in "cluster-b" forwards to:
      | group               | cluster   | vpc                   | port | weight |
      | export default/kept | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |
    And service network "my-hotel" has 1 service association
    And Lattice received exactly 0 DeleteTargetGroup calls
    And Lattice received exactly 1 CreateTargetGroup call

  @issue-789 @lattice-simulator
  Scenario: A policy's health check applies to an export; removing it brings back the defaults
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: hc}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: TargetGroupPolicy
      metadata: {name: hc}
      spec:
        targetRef: {group: application-networking.k8s.aws, kind: ServiceExport, name: hc}
        healthCheck: {enabled: true, path: /healthz, intervalSeconds: 10, timeoutSeconds: 2, healthyThresholdCount: 3, unhealthyThresholdCount: 4, statusMatch: "200-299"}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: hc
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/hc of "cluster-a" has the health check:
      | field                   | value    |
      | enabled                 | true     |
      | path                    | /healthz |
      | intervalSeconds         | 10       |
      | timeoutSeconds          | 2        |
      | healthyThresholdCount   | 3        |
      | unhealthyThresholdCount | 4        |
      | matcher                 | 200-299  |
    When "cluster-a" deletes TargetGroupPolicy default/hc
    Then export default/hc of "cluster-a" has the health check:
      | field                   | value |
      | enabled                 | true  |
      | protocol                | HTTP  |
      | protocolVersion         | HTTP1 |
      | path                    | /     |
      | intervalSeconds         | 30    |
      | timeoutSeconds          | 5     |
      | healthyThresholdCount   | 5     |
      | unhealthyThresholdCount | 2     |
      | matcher                 | 200   |
    And export default/hc of "cluster-a" has 1 target group
    And Lattice received exactly 1 CreateTargetGroup call
    And nothing is orphaned in Lattice

  @issue-853
  Scenario: A policy's protocol applies to an export; removing it brings back HTTP
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: hc}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: TargetGroupPolicy
      metadata: {name: hc}
      spec:
        targetRef: {group: application-networking.k8s.aws, kind: ServiceExport, name: hc}
        protocol: HTTPS
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: hc
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/hc of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTPS    | HTTP1   |
    When "cluster-a" deletes TargetGroupPolicy default/hc
    Then export default/hc of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTP     | HTTP1   |
    And nothing is orphaned in Lattice

  @issue-98
  Scenario: Two exports with long names get distinct target groups
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-one}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-two}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-one
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-two
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-one of "cluster-a" has 1 target group
    And export default/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-two of "cluster-a" has 1 target group

  @issue-444
  Scenario: Two ports of one Service in one route share one route target group
    When "cluster-b" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: dual}
      spec: {ports: [{name: a, port: 80, targetPort: 8080}, {name: b, port: 81, targetPort: 8081}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: dual}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{name: dual, port: 80}, {name: dual, port: 81}]
      """
    Then HTTPRoute default/dual in "cluster-b" forwards to:
      | group                | cluster   | vpc                   | port | weight |
      | service default/dual | cluster-b | vpc-0bbbbbbbbbbbbbbb2 | 80   | 1      |
      | service default/dual | cluster-b | vpc-0bbbbbbbbbbbbbbb2 | 80   | 1      |
    And Lattice holds 1 target group

  @issue-822 @virtual-time @lattice-simulator
  Scenario: A failing import backs off exponentially instead of every 20 seconds
    When "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: never}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: never}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: never, port: 80}]
      """
    And 600 seconds pass
    Then Lattice received at most 25 ListServices calls
    And Lattice received at least 10 ListServices calls
