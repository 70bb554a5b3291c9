@hazard
Feature: The hazards of controller.md §9 under both profiles

  Background:
    Given a service network "my-hotel" associated with every cluster

  @virtual-time @reference-controller
  Scenario Outline: H-3 removing the federation annotation strands the export's finalizer
    Given the controllers run profile <profile>
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: frozen}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: frozen
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And export default/frozen of "cluster-a" has 1 target group
    When "cluster-a" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: frozen
        annotations: {application-networking.k8s.aws/federation: "off"}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    # v2.1.3 freezes the export (E-X3): the GC keeps its group while the export exists and its
    # fields match; once the export is being deleted the GC takes the group, yet nothing
    # removes the finalizer.
    Then for 60 seconds, export default/frozen of "cluster-a" has <frozen> target groups
    When "cluster-a" deletes ServiceExport default/frozen
    And 120 seconds pass
    Then ServiceExport default/frozen in "cluster-a" <outcome>
    And for 60 seconds, Lattice holds 0 target groups

    Examples:
      | profile | frozen | outcome                                             |
      | v2.1.3  | 1      | has the finalizer "serviceexport.k8s.aws/resources" |
      | fixed   | 0      | is gone                                             |

  @virtual-time @reference-controller
  Scenario Outline: H-4 a deleted Service leaves its export's targets registered
    Given the controllers run profile <profile>
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: orphan}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: orphan-1, labels: {kubernetes.io/service-name: orphan}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: orphan
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And the targets of export default/orphan of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 8080 |
    When "cluster-a" deletes Service default/orphan
    And 30 seconds pass
    Then for 60 seconds, <targets>

    Examples:
      | profile | targets                                                                 |
      | fixed   | the targets of export default/orphan of "cluster-a" are empty           |

  @virtual-time @reference-controller
  Scenario: H-4 (v2.1.3) the deleted Service's targets stay registered
    Given the controllers run profile v2.1.3
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: orphan}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: orphan-1, labels: {kubernetes.io/service-name: orphan}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: orphan
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And the targets of export default/orphan of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 8080 |
    When "cluster-a" deletes Service default/orphan
    And 30 seconds pass
    Then for 60 seconds, the targets of export default/orphan of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 8080 |
    And "cluster-a" recorded a FailedBuildModel event for default/orphan saying "failed to find corresponding k8sService"

  @reference-controller
  Scenario Outline: H-5 ResolvedRefs does not reflect import resolution
    Given the controllers run profile <profile>
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
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: nowhere}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: lonely}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: nowhere, port: 80}]
      """
    Then HTTPRoute default/lonely in "cluster-b" has ResolvedRefs=<status> with reason <reason>

    Examples:
      | profile | status | reason          |
      | v2.1.3  | True   | ResolvedRefs    |
      | fixed   | False  | BackendNotFound |

  @virtual-time @reference-controller
  Scenario Outline: H-1 the GC deletes the unused target groups of later exported ports
    Given the controllers run profile <profile>
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: multi}
      spec:
        ports: [{name: http, port: 80, targetPort: 8080}, {name: grpc, port: 81, targetPort: 8081}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: multi
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}, {port: 81, routeType: GRPC}]
      """
    And export default/multi of "cluster-a" has 2 target groups
    When 45 seconds pass
    Then for 60 seconds, export default/multi of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTP     | HTTP1   |

    Examples:
      | profile |
      | v2.1.3  |

  @virtual-time @reference-controller
  Scenario: H-1 (fixed) the GC keeps every exported port's target group
    Given the controllers run profile fixed
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: multi}
      spec:
        ports: [{name: http, port: 80, targetPort: 8080}, {name: grpc, port: 81, targetPort: 8081}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: multi
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}, {port: 81, routeType: GRPC}]
      """
    Then for 90 seconds, export default/multi of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTP     | HTTP1   |
      | 81   | HTTP     | GRPC    |

  @virtual-time @reference-controller
  Scenario Outline: H-7 only the first export of a shared Service follows its endpoints
    Given the controllers run profile <profile>
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: shared}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: shared-1, labels: {kubernetes.io/service-name: shared}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: one
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/service-name: shared}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: two
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice, application-networking.k8s.aws/service-name: shared}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And export default/two of "cluster-a" has 1 target group
    When service default/shared in "cluster-a" has the endpoints "10.0.1.7"
    And 60 seconds pass
    Then the targets of export default/two of "cluster-a" are:
      | ip    | port |
      | <ip>  | 8080 |

    Examples:
      | profile | ip       |
      | v2.1.3  | 10.0.1.1 |
      | fixed   | 10.0.1.7 |

  @virtual-time @reference-controller
  Scenario Outline: H-6 an import failure leaves a partial rule set
    Given the controllers run profile <profile>
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
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: local}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: missing}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: mixed}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - matches: [{path: {type: PathPrefix, value: /remote}}]
          backendRefs: [{kind: ServiceImport, name: missing, port: 80}]
        - matches: [{path: {type: PathPrefix, value: /local}}]
          backendRefs: [{name: local, port: 80}]
      """
    When 60 seconds pass
    Then for 60 seconds, HTTPRoute default/mixed in "cluster-b" forwards to nothing
    And the Lattice service "mixed-default" has 0 rules besides its defaults
    And "cluster-b" recorded a FailedDeployModel event for default/mixed saying "target group for service import could not be found"

    Examples:
      | profile |
      | v2.1.3  |

  @reference-controller
  Scenario: H-6 (fixed) the rules after a failing import are still made
    Given the controllers run profile fixed
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
      ---
      apiVersion: v1
      kind: Service
      metadata: {name: local}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: missing}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: mixed}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - matches: [{path: {type: PathPrefix, value: /remote}}]
          backendRefs: [{kind: ServiceImport, name: missing, port: 80}]
        - matches: [{path: {type: PathPrefix, value: /local}}]
          backendRefs: [{name: local, port: 80}]
      """
    Then HTTPRoute default/mixed in "cluster-b" forwards to:
      | group                 | cluster   | vpc                   | port | weight |
      | service default/local | cluster-b | vpc-0bbbbbbbbbbbbbbb2 | 80   | 1      |

  @virtual-time @reference-controller
  Scenario Outline: H-8 tags cached for a minute hide a retagged target group
    # The cache of target-group lookups lives in the Lattice client of Lattice-tagging mode;
    # the Resource Groups Tagging API's answers are never cached.
    Given the controllers run profile <profile>
    And the controllers tag through Lattice
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: moved}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: moved
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
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
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: moved
        annotations: {application-networking.k8s.aws/aws-eks-cluster-name: cluster-x}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: seeker}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: moved, port: 80, weight: 1}]
      """
    And export default/moved of "cluster-a" has 1 target group
    When 20 seconds pass
    And someone tags the target group of export default/moved of "cluster-a" with "application-networking.k8s.aws/ClusterName" = "cluster-x"
    And "cluster-b" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: seeker}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: moved, port: 80, weight: 2}]
      """
    # The lookup reads the group's tags from a cache filled when the route first looked, so
    # for the rest of that minute the retagged group is not found.
    Then at no point within 20 seconds, HTTPRoute default/seeker in "cluster-b" forwards to:
      | group                | cluster   | vpc                   | port | weight |
      | export default/moved | cluster-x | vpc-0aaaaaaaaaaaaaaa1 | 80   | 2      |
    And the Lattice service "seeker-default" has 0 rules besides its defaults
    And within 120 seconds, HTTPRoute default/seeker in "cluster-b" forwards to:
      | group                | cluster   | vpc                   | port | weight |
      | export default/moved | cluster-x | vpc-0aaaaaaaaaaaaaaa1 | 80   | 2      |

    Examples:
      | profile |
      | v2.1.3  |

  @virtual-time @reference-controller
  Scenario: H-8 (fixed) without the tag cache the retagged group is found at once
    Given the controllers run profile fixed
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: moved}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: moved
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
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
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: moved
        annotations: {application-networking.k8s.aws/aws-eks-cluster-name: cluster-x}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: seeker}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: moved, port: 80, weight: 1}]
      """
    And export default/moved of "cluster-a" has 1 target group
    When 20 seconds pass
    And someone tags the target group of export default/moved of "cluster-a" with "application-networking.k8s.aws/ClusterName" = "cluster-x"
    And "cluster-b" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: seeker}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: moved, port: 80, weight: 2}]
      """
    Then within 5 seconds, HTTPRoute default/seeker in "cluster-b" forwards to:
      | group                | cluster   | vpc                   | port | weight |
      | export default/moved | cluster-x | vpc-0aaaaaaaaaaaaaaa1 | 80   | 2      |

  @virtual-time @reference-controller
  Scenario Outline: H-9 an import change does not wake a route whose backendRef group was defaulted
    Given the controllers run profile <profile>
    And "cluster-a" has applied:
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
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: checkout}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: checkout}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: checkout, port: 80}]
      """
    When 700 seconds pass
    And "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/export-name: checkout-cluster1}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      """
    Then at no point within 60 seconds, HTTPRoute default/checkout in "cluster-b" forwards to:
      | group                            | cluster   | vpc                   | port | weight |
      | export default/checkout-cluster1 | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |
    And HTTPRoute default/checkout in "cluster-b" forwards to nothing
    And the Lattice service "checkout-default" has 0 rules besides its defaults
    And "cluster-b" recorded a FailedDeployModel event for default/checkout saying "target group for service import could not be found"
    And within 1500 seconds, HTTPRoute default/checkout in "cluster-b" forwards to:
      | group                            | cluster   | vpc                   | port | weight |
      | export default/checkout-cluster1 | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |

    Examples:
      | profile |
      | v2.1.3  |

  @virtual-time @reference-controller
  Scenario: H-9 (fixed) an import change wakes the route at once
    Given the controllers run profile fixed
    And "cluster-a" has applied:
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
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: checkout}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: checkout}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: checkout, port: 80}]
      """
    When 700 seconds pass
    And "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: checkout
        annotations: {application-networking.k8s.aws/export-name: checkout-cluster1}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      """
    Then within 5 seconds, HTTPRoute default/checkout in "cluster-b" forwards to:
      | group                            | cluster   | vpc                   | port | weight |
      | export default/checkout-cluster1 | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |

  @reference-controller
  Scenario: H-2 (fixed) a GRPCRoute import gets the export's GRPC target group
    # Under v2.1.3 the first group in ListTargetGroups order is taken whatever its protocol
    # (tests/reconciler/hazards.rs h2 shows both profiles against the list order).
    Given the controllers run profile fixed
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: poly}
      spec:
        ports: [{name: http, port: 80, targetPort: 8080}, {name: grpc, port: 81, targetPort: 8081}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: poly
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}, {port: 81, routeType: GRPC}]
      """
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
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: poly}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: GRPCRoute
      metadata: {name: poly}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: poly, port: 81}]
      """
    Then GRPCRoute default/poly in "cluster-b" forwards to:
      | group               | cluster   | vpc                   | port | version | weight |
      | export default/poly | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 81   | GRPC    | 1      |

  @finding @faults @virtual-time @reference-controller @lattice-simulator
  Scenario Outline: H-10 eventually consistent listings leave a duplicate target group (<profile>)
    # Not in controller.md §9, found by the convergence property: while ListTargetGroups
    # hides a new target group, the next reconcile of the export finds none and creates a
    # second one. Both keep the export's tags and fields, so the GC keeps both, and only the
    # first in list order is synced. Profile fixed remembers what it created.
    Given the controllers run profile <profile>
    And Lattice hides resources younger than 20 seconds from its lists
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: inventory}
      spec: {ports: [{name: http, port: 80, targetPort: 8090}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: inventory-1, labels: {kubernetes.io/service-name: inventory}}
      addressType: IPv4
      ports: [{name: http, port: 8090}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And 60 seconds pass
    And the faults stop
    And service default/inventory in "cluster-a" has the endpoints "10.0.1.9"
    And 300 seconds pass
    Then export default/inventory of "cluster-a" has <groups> target groups
    And Lattice received exactly <groups> CreateTargetGroup calls
    And nothing is orphaned in Lattice

    Examples:
      | profile | groups |
      | v2.1.3  | 2      |
      | fixed   | 1      |
