@regression
Feature: Lattice's lifecycles as the controller meets them

  Background:
    Given a service network "my-hotel" associated with every cluster

  # Upstream #781: a target group takes targets only once ACTIVE; registering them while it
  # is still being created is a 409 the controller has to come back from.
  @issue-781 @virtual-time @lattice-simulator
  Scenario: Targets are registered once a group held in CREATE_IN_PROGRESS is ACTIVE
    Given Lattice keeps new target groups CREATE_IN_PROGRESS for 20 seconds
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: slow}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: slow-1, labels: {kubernetes.io/service-name: slow}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: slow
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then within 5 seconds, export default/slow of "cluster-a" has the target groups:
      | port | protocol | version | status             |
      | 80   | HTTP     | HTTP1   | CREATE_IN_PROGRESS |
    And the targets of export default/slow of "cluster-a" are empty
    And within 120 seconds, the targets of export default/slow of "cluster-a" are:
      | ip       | port | status |
      | 10.0.1.1 | 8080 | UNUSED |
    And export default/slow of "cluster-a" has the target groups:
      | port | protocol | version | status |
      | 80   | HTTP     | HTTP1   | ACTIVE |
    And Lattice received exactly 1 CreateTargetGroup call from the controller of "cluster-a"
    And Lattice received at least 2 RegisterTargets calls from the controller of "cluster-a"
    And Lattice received exactly 0 RegisterTargets calls from the controller of "cluster-b"
    And Lattice received exactly 0 CreateTargetGroup calls in the last 10 seconds
    When the Lattice calls are reported

  # A deleted group stays DELETE_IN_PROGRESS for a while and takes no targets meanwhile.
  @virtual-time @lattice-simulator
  Scenario: A deleted export's group goes through DELETE_IN_PROGRESS
    Given Lattice keeps deleted target groups DELETE_IN_PROGRESS for 30 seconds
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: going}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: going
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then export default/going of "cluster-a" has 1 target group
    When "cluster-a" deletes ServiceExport default/going
    Then within 10 seconds, export default/going of "cluster-a" has the target groups:
      | port | protocol | version | status             |
      | 80   | HTTP     | HTTP1   | DELETE_IN_PROGRESS |
    And ServiceExport default/going in "cluster-a" is gone
    And within 60 seconds, Lattice holds 0 target groups
