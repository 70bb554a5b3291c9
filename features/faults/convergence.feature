@faults
Feature: Faults on both APIs, then convergence
  While faults last the controllers retry; once they stop, everything converges within a
  stated virtual bound, nothing is orphaned and no export's targets are lost.

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

  @virtual-time @lattice-simulator
  Scenario Outline: <fault>, then the faults stop
    Given <fault>
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
      endpoints: [{addresses: [10.0.1.1]}, {addresses: [10.0.1.2]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata: {name: inventory}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: inventory}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: inventory, port: 80}]
      """
    And 120 seconds pass
    And service default/inventory in "cluster-a" has the endpoints "10.0.1.2, 10.0.1.3"
    And 60 seconds pass
    And the faults stop
    Then within 1200 seconds, HTTPRoute default/inventory in "cluster-b" forwards to:
      | group                    | cluster   | vpc                   | port | weight |
      | export default/inventory | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |
    And within 1200 seconds, the world's invariants hold
    And the targets of export default/inventory of "cluster-a" are:
      | ip       | port |
      | 10.0.1.2 | 8090 |
      | 10.0.1.3 | 8090 |

    Examples: Lattice faults
      | fault                                                                              |
      | Lattice throttles the next 30 calls of all                                         |
      | Lattice fails all with probability 0.3                                             |
      | Lattice answers all calls with 409 ConflictException for 90 seconds                |
      | Lattice answers RegisterTargets calls with 500 InternalServerException for 150 seconds |
      | Lattice answers all calls with a delay of 2 seconds with probability 0.5           |

    @cluster-faults
    Examples: cluster faults
      | fault                                                                  |
      | "cluster-a" conflicts on patch serviceexports with probability 0.5     |
      | "cluster-b" conflicts on patch httproutes with probability 0.5         |

  @cluster-faults
  Scenario: Dropped and expired watches lose no change
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
    And "cluster-a" drops its watches
    And service default/inventory in "cluster-a" has the endpoints "10.0.1.5"
    And "cluster-a" expires its watches
    And service default/inventory in "cluster-a" has the endpoints "10.0.1.6"
    Then the targets of export default/inventory of "cluster-a" are:
      | ip       | port |
      | 10.0.1.6 | 8090 |
    And the world's invariants hold
