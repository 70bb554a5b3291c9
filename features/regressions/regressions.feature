@regression
Feature: The upstream regressions of controller.md §8, by issue number

  Background:
    Given a service network "my-hotel" associated with every cluster
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: inventory}
      spec:
        ports: [{name: http, port: 80, targetPort: 8090}]
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
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}]
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
      """

  @issue-23 @issue-477
  Scenario: A pod IP change replaces the targets
    When service default/inventory in "cluster-a" has the endpoints "10.0.1.9"
    Then the targets of export default/inventory of "cluster-a" are:
      | ip       | port |
      | 10.0.1.9 | 8090 |

  @issue-587
  Scenario: An import in one VPC finds an export in another
    When "cluster-b" applies:
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
    Then HTTPRoute default/inventory in "cluster-b" forwards to:
      | group                    | cluster   | vpc                   | port | weight |
      | export default/inventory | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |

  @issue-790 @virtual-time @lattice-simulator
  Scenario: Repeated reconciles of an export create exactly one target group
    When service default/inventory in "cluster-a" has the endpoints "10.0.1.2"
    And service default/inventory in "cluster-a" has the endpoints "10.0.1.3"
    And 30 seconds pass
    Then export default/inventory of "cluster-a" has 1 target group
    And Lattice received exactly 1 CreateTargetGroup calls

  @issue-269
  Scenario: Deleting the Service, then the export, deletes the target group
    Given export default/inventory of "cluster-a" has 1 target group
    When "cluster-a" deletes Service default/inventory
    And "cluster-a" deletes ServiceExport default/inventory
    Then Lattice holds 0 target groups
    And ServiceExport default/inventory in "cluster-a" is gone

  @issue-899 @issue-493 @issue-497
  Scenario: A missing Service backend answers 500
    When "cluster-b" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: broken}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{name: nowhere, port: 80}]
      """
    Then HTTPRoute default/broken in "cluster-b" answers 500

  @issue-544
  Scenario: A missing ServiceImport object is BackendNotFound, yet the route still forwards
    When "cluster-b" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: ghost}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: inventory, port: 80}]
      """
    Then HTTPRoute default/ghost in "cluster-b" has ResolvedRefs=False with reason BackendNotFound
    And HTTPRoute default/ghost in "cluster-b" forwards to:
      | group                    | cluster   | vpc                   | port | weight |
      | export default/inventory | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 1      |

  @issue-510 @issue-15
  Scenario: Deleting a route removes its service and, within the GC period, its target groups
    When "cluster-b" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: local}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: local}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{name: local, port: 80}]
      """
    Then HTTPRoute default/local in "cluster-b" forwards to:
      | group                 | cluster   | vpc                   | port | weight |
      | service default/local | cluster-b | vpc-0bbbbbbbbbbbbbbb2 | 80   | 1      |
    And Lattice holds 2 target groups
    When "cluster-b" deletes HTTPRoute default/local
    Then within 90 seconds, no Lattice service exists
    And within 90 seconds, Lattice holds 1 target group
    And export default/inventory of "cluster-a" has 1 target group
    And nothing is orphaned in Lattice

  @issue-384
  Scenario: A rule the route does not define, on the route's listener, is deleted
    When "cluster-b" applies:
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
        - backendRefs: [{kind: ServiceImport, name: inventory, port: 80, weight: 1}]
      """
    Then the Lattice service "inventory-default" has 1 rule besides its defaults
    When someone adds a rule to the listener of the Lattice service "inventory-default"
    Then the Lattice service "inventory-default" has 2 rules besides its defaults
    And HTTPRoute default/inventory in "cluster-b" answers 404
    When "cluster-b" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: inventory}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: inventory, port: 80, weight: 2}]
      """
    Then the Lattice service "inventory-default" has 1 rule besides its defaults
    And HTTPRoute default/inventory in "cluster-b" forwards to:
      | group                    | cluster   | weight | listener | priority |
      | export default/inventory | cluster-a | 2      | HTTP:80  | 1        |
    And at no point within 60 seconds, HTTPRoute default/inventory in "cluster-b" answers 404
