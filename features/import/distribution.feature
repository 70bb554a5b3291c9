@import @weights
Feature: Traffic across clusters, VPCs and local Services, and the import annotations
  Two clusters export a Service named checkout; the importing cluster also runs its own.
  The import annotations choose which export a backendRef resolves to.

  Background:
    Given the clusters:
      | cluster   | vpc                   |
      | east      | vpc-0eeeeeeeeeeeeeee1 |
      | west      | vpc-0fffffffffffffff2 |
      | front     | vpc-0ccccccccccccccc3 |
    And a service network "shop" associated with every cluster
    And "east" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: checkout}
      spec:
        ports: [{name: http, port: 80, targetPort: 8080}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: checkout-1, labels: {kubernetes.io/service-name: checkout}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.1.0.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout-east
        annotations:
          application-networking.k8s.aws/federation: amazon-vpc-lattice
          application-networking.k8s.aws/service-name: checkout
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}]
      """
    And "west" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: checkout}
      spec:
        ports: [{name: http, port: 80, targetPort: 8080}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: checkout-1, labels: {kubernetes.io/service-name: checkout}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.2.0.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout-west
        annotations:
          application-networking.k8s.aws/federation: amazon-vpc-lattice
          application-networking.k8s.aws/service-name: checkout
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}]
      """
    And "front" has applied:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata: {name: amazon-vpc-lattice}
      spec: {controllerName: application-networking.k8s.aws/gateway-api-controller}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata: {name: shop}
      spec:
        gatewayClassName: amazon-vpc-lattice
        listeners: [{name: http, protocol: HTTP, port: 80}]
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: checkout-local}
      spec:
        ports: [{name: http, port: 80, targetPort: 8080}]
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: checkout-local-1, labels: {kubernetes.io/service-name: checkout-local}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.3.0.1]}]
      """
    And export default/checkout-east of "east" has 1 target group
    And export default/checkout-west of "west" has 1 target group

  Scenario: One rule spreads traffic over two clusters, two VPCs and a local Service
    When "front" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout-east
        annotations: {application-networking.k8s.aws/aws-eks-cluster-name: east}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout-west
        annotations: {application-networking.k8s.aws/aws-vpc: vpc-0fffffffffffffff2}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: checkout}
      spec:
        parentRefs: [{name: shop, sectionName: http}]
        rules:
        - backendRefs:
          - {kind: ServiceImport, name: checkout-east, port: 80, weight: 40}
          - {kind: ServiceImport, name: checkout-west, port: 80, weight: 40}
          - {name: checkout-local, port: 80, weight: 20}
      """
    Then HTTPRoute default/checkout in "front" forwards to:
      | group                         | cluster | vpc                   | port | weight |
      | export default/checkout-east  | east    | vpc-0eeeeeeeeeeeeeee1 | 80   | 40     |
      | service default/checkout-local | front   | vpc-0ccccccccccccccc3 | 80   | 20     |
      | export default/checkout-west  | west    | vpc-0fffffffffffffff2 | 80   | 40     |
    And the world's invariants hold

  # Both clusters also export a Service under the one name `checkout`: with two groups of that
  # name, one of them is not the first the search meets, so the cluster and VPC filters must
  # choose for each row to pass, and export-name must choose apart from them.
  Scenario Outline: Each annotation filters alone and together
    When "east" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "west" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/checkout of "east" has 1 target group
    And export default/checkout of "west" has 1 target group
    When "front" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout
        annotations:
          application-networking.k8s.aws/export-name: "<export>"
          application-networking.k8s.aws/aws-eks-cluster-name: "<cluster>"
          application-networking.k8s.aws/aws-vpc: "<vpc>"
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: pick}
      spec:
        parentRefs: [{name: shop, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: checkout, port: 80}]
      """
    Then HTTPRoute default/pick in "front" forwards to:
      | group           | cluster | vpc    | port | weight |
      | export <group>  | <to>    | <tvpc> | 80   | 1      |

    Examples: the cluster filter alone picks either cluster's group
      | export | cluster | vpc | group                 | to   | tvpc                  |
      |        | east    |     | default/checkout      | east | vpc-0eeeeeeeeeeeeeee1 |
      |        | west    |     | default/checkout      | west | vpc-0fffffffffffffff2 |

    Examples: the VPC filter alone picks either VPC's group
      | export | cluster | vpc                   | group            | to   | tvpc                  |
      |        |         | vpc-0eeeeeeeeeeeeeee1 | default/checkout | east | vpc-0eeeeeeeeeeeeeee1 |
      |        |         | vpc-0fffffffffffffff2 | default/checkout | west | vpc-0fffffffffffffff2 |

    Examples: export-name alone names another export than the backendRef
      | export        | cluster | vpc | group                 | to   | tvpc                  |
      | checkout-east |         |     | default/checkout-east | east | vpc-0eeeeeeeeeeeeeee1 |
      | checkout-west |         |     | default/checkout-west | west | vpc-0fffffffffffffff2 |

    Examples: all three together
      | export   | cluster | vpc                   | group            | to   | tvpc                  |
      | checkout | west    | vpc-0fffffffffffffff2 | default/checkout | west | vpc-0fffffffffffffff2 |
      | checkout | east    | vpc-0eeeeeeeeeeeeeee1 | default/checkout | east | vpc-0eeeeeeeeeeeeeee1 |

  Scenario: Without a filter, two exports of one name leave the choice to the search order
    When "east" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "west" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/checkout of "east" has 1 target group
    And export default/checkout of "west" has 1 target group
    When "front" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: checkout}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: pick}
      spec:
        parentRefs: [{name: shop, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: checkout, port: 80}]
      """
    Then HTTPRoute default/pick in "front" forwards to one of:
      | group                   | cluster | weight |
      | export default/checkout | east    | 1      |
      | export default/checkout | west    | 1      |

  Scenario Outline: A filter that matches no export leaves no forward to any target group
    When "front" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout
        annotations:
          application-networking.k8s.aws/export-name: "<export>"
          application-networking.k8s.aws/aws-eks-cluster-name: "<cluster>"
          application-networking.k8s.aws/aws-vpc: "<vpc>"
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: miss}
      spec:
        parentRefs: [{name: shop, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: checkout, port: 80}]
      """
    Then "front" recorded a FailedDeployModel event for default/miss saying "target group for service import could not be found"
    And HTTPRoute default/miss in "front" forwards to nothing

    Examples:
      | export        | cluster | vpc                   |
      | checkout-east | west    |                       |
      | checkout-west |         | vpc-0eeeeeeeeeeeeeee1 |
      | nothing       |         |                       |

  Scenario: The backendRef port on a ServiceImport is not respected
    When "front" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout-east
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: ported}
      spec:
        parentRefs: [{name: shop, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: checkout-east, port: 9443}]
      """
    Then HTTPRoute default/ported in "front" forwards to:
      | group                        | cluster | vpc                   | port | weight |
      | export default/checkout-east | east    | vpc-0eeeeeeeeeeeeeee1 | 80   | 1      |

  @virtual-time
  Scenario: A ServiceImport on its own creates nothing in Lattice; only routes use it
    When "front" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout-east
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      """
    And 60 seconds pass
    Then no Lattice service exists
    And Lattice holds 2 target groups
