@export
Feature: ServiceExport, as the controller implements it (controller.md §2)

  Background:
    Given a service network "my-hotel" associated with every cluster
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: inventory}
      spec:
        ports:
        - {name: http, port: 8080, targetPort: 9090}
        - {name: admin, port: 80, targetPort: 8081}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: inventory-1, labels: {kubernetes.io/service-name: inventory}}
      addressType: IPv4
      ports: [{name: http, port: 9090}, {name: admin, port: 8081}]
      endpoints:
      - addresses: [10.0.0.7]
        conditions: {ready: true}
      """

  @virtual-time @lattice-simulator
  Scenario: Without the federation annotation an export is ignored
    When "cluster-a" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata: {name: inventory}
      """
    And 60 seconds pass
    Then export default/inventory of "cluster-a" has 0 target groups
    And ServiceExport default/inventory in "cluster-a" has no finalizers
    And Lattice received exactly 0 CreateTargetGroup calls

  @ports
  Scenario: Legacy mode keeps port 80 and the port annotation picks the targets
    When "cluster-a" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory
        annotations:
          application-networking.k8s.aws/federation: amazon-vpc-lattice
          application-networking.k8s.aws/port: "8080"
      """
    Then export default/inventory of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTP     | HTTP1   |
    And the targets of export default/inventory of "cluster-a" are:
      | ip       | port |
      | 10.0.0.7 | 9090 |
    And ServiceExport default/inventory in "cluster-a" has the finalizer "serviceexport.k8s.aws/resources"

  # Each port gets its group and its targets; under v2.1.3 the GC then takes the unused group
  # of the second exported port at its first pass, 30 seconds in (H-1).
  @ports @virtual-time @reference-controller
  Scenario Outline: exportedPorts makes one target group per port and route type (<profile>)
    Given the controllers run profile <profile>
    When "cluster-a" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec:
        exportedPorts:
        - {port: 8080, routeType: HTTP}
        - {port: 80, routeType: GRPC}
      """
    Then export default/inventory of "cluster-a" has the target groups:
      | port | protocol | version |
      | 80   | HTTP     | GRPC    |
      | 8080 | HTTP     | HTTP1   |
    And the targets of export default/inventory of "cluster-a" on port 8080 are:
      | ip       | port |
      | 10.0.0.7 | 9090 |
    And the targets of export default/inventory of "cluster-a" on port 80 are:
      | ip       | port |
      | 10.0.0.7 | 8081 |
    When 30 seconds pass
    Then for 60 seconds, export default/inventory of "cluster-a" has <left> target groups
    And the targets of export default/inventory of "cluster-a" on port 8080 are:
      | ip       | port |
      | 10.0.0.7 | 9090 |

    Examples:
      | profile | left |
      | v2.1.3  | 1    |
      | fixed   | 2    |

  Scenario: service-name exports another Service under the export's own name
    When "cluster-a" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory-east
        annotations:
          application-networking.k8s.aws/federation: amazon-vpc-lattice
          application-networking.k8s.aws/service-name: inventory
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}]
      """
    Then export default/inventory-east of "cluster-a" has 1 target group
    And the targets of export default/inventory-east of "cluster-a" are:
      | ip       | port |
      | 10.0.0.7 | 8081 |

  @lifecycle
  Scenario: Targets follow the endpoints; deleting the export deletes its target group
    When "cluster-a" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}]
      """
    Then the targets of export default/inventory of "cluster-a" are:
      | ip       | port |
      | 10.0.0.7 | 8081 |
    When service default/inventory in "cluster-a" has the endpoints "10.0.0.8, 10.0.0.9"
    Then the targets of export default/inventory of "cluster-a" are:
      | ip       | port |
      | 10.0.0.8 | 8081 |
      | 10.0.0.9 | 8081 |
    And no export has lost targets
    When "cluster-a" deletes ServiceExport default/inventory
    Then ServiceExport default/inventory in "cluster-a" is gone
    And Lattice holds 0 target groups
    And the world's invariants hold

  Scenario: An exported target group carries the controller's tags and the user's
    When "cluster-a" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: inventory
        annotations:
          application-networking.k8s.aws/federation: amazon-vpc-lattice
          application-networking.k8s.aws/tags: "team=shop, aws:owner=x"
      spec:
        exportedPorts: [{port: 80, routeType: HTTP}]
      """
    Then export default/inventory of "cluster-a" has the tags:
      | key                                              | value                                            |
      | application-networking.k8s.aws/ManagedBy        | 123456789012/cluster-a/vpc-0aaaaaaaaaaaaaaa1     |
      | application-networking.k8s.aws/ClusterName      | cluster-a                                        |
      | application-networking.k8s.aws/ServiceName      | inventory                                        |
      | application-networking.k8s.aws/ServiceNamespace | default                                          |
      | application-networking.k8s.aws/SourceTypeKey    | ServiceExport                                    |
      | application-networking.k8s.aws/ProtocolVersion  | HTTP1                                            |
      | team                                             | shop                                             |
    And export default/inventory of "cluster-a" has no tag "application-networking.k8s.aws/RouteName"
    And export default/inventory of "cluster-a" has no tag "aws:owner"
    When "cluster-a" patches ServiceExport default/inventory with:
      """
      metadata:
        annotations:
          application-networking.k8s.aws/tags: "team=checkout"
      """
    And service default/inventory in "cluster-a" has the endpoints "10.0.0.7"
    Then export default/inventory of "cluster-a" has the tags:
      | key                                              | value                                            |
      | application-networking.k8s.aws/ManagedBy        | 123456789012/cluster-a/vpc-0aaaaaaaaaaaaaaa1     |
      | application-networking.k8s.aws/ClusterName      | cluster-a                                        |
      | application-networking.k8s.aws/ServiceName      | inventory                                        |
      | application-networking.k8s.aws/ServiceNamespace | default                                          |
      | application-networking.k8s.aws/SourceTypeKey    | ServiceExport                                    |
      | application-networking.k8s.aws/ProtocolVersion  | HTTP1                                            |
      | team                                             | checkout                                         |
