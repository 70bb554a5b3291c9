@fidelity
Feature: What the controller does where a reading of it was easy to get wrong
  Each scenario states a behaviour read from the controller's source (docs/controller.md
  names the place) that a simpler model would miss.

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

  # A Service being deleted builds no targets model: v2.1.3 leaves the group's targets as
  # they are (H-4); the fixed profile empties the group.
  @virtual-time @reference-controller
  Scenario Outline: The targets of a Service being deleted (<profile>)
    Given the controllers run profile <profile>
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: leaving, finalizers: [example.com/hold]}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: leaving-1, labels: {kubernetes.io/service-name: leaving}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: leaving
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then the targets of export default/leaving of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 8080 |
    When "cluster-a" deletes Service default/leaving
    Then Service default/leaving in "cluster-a" has the finalizer "example.com/hold"
    And for 60 seconds, <targets>

    Examples:
      | profile | targets                                                                   |
      | fixed   | the targets of export default/leaving of "cluster-a" are empty            |

  @virtual-time @reference-controller
  Scenario: The targets of a Service being deleted stay (v2.1.3)
    Given the controllers run profile v2.1.3
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: leaving, finalizers: [example.com/hold]}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata: {name: leaving-1, labels: {kubernetes.io/service-name: leaving}}
      addressType: IPv4
      ports: [{name: http, port: 8080}]
      endpoints: [{addresses: [10.0.1.1]}]
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: leaving
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    Then the targets of export default/leaving of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 8080 |
    When "cluster-a" deletes Service default/leaving
    Then Service default/leaving in "cluster-a" has the finalizer "example.com/hold"
    And for 60 seconds, the targets of export default/leaving of "cluster-a" are:
      | ip       | port |
      | 10.0.1.1 | 8080 |

  # With a service-name-override and no ServiceImport object, the model build refuses rather
  # than claim the existing service by falling back to a search by name.
  Scenario: An override with a missing ServiceImport claims no service
    When "cluster-a" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: shared}
      spec: {ports: [{name: http, port: 80, targetPort: 8080}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: shared
        annotations: {application-networking.k8s.aws/federation: amazon-vpc-lattice}
      spec: {exportedPorts: [{port: 80, routeType: HTTP}]}
      """
    And "cluster-b" applies:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata:
        name: claimer
        annotations: {application-networking.k8s.aws/service-name-override: shared-service}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{kind: ServiceImport, name: shared, port: 80}]
      """
    Then "cluster-b" recorded a FailedBuildModel event for default/claimer saying "refusing to claim the existing service"
    And HTTPRoute default/claimer in "cluster-b" has ResolvedRefs=False with reason BackendNotFound
    And HTTPRoute default/claimer in "cluster-b" has no Lattice service

  # A route's Service backend with two IP families: the route is not accepted, nothing made.
  Scenario: A dual-stack Service backend is refused
    When "cluster-b" applies:
      """
      apiVersion: v1
      kind: Service
      metadata: {name: dual}
      spec:
        clusterIP: None
        ipFamilyPolicy: RequireDualStack
        ipFamilies: [IPv4, IPv6]
        ports: [{name: http, port: 80, targetPort: 8080}]
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: dual}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs: [{name: dual, port: 80}]
      """
    Then HTTPRoute default/dual in "cluster-b" has Accepted=False with reason UnsupportedValue
    And HTTPRoute default/dual in "cluster-b" has no Lattice service
    And Lattice holds 0 target groups

  # The model build stops at the first import it cannot resolve by ARN: that one decides
  # ResolvedRefs. Each retry first writes the validation's verdict (True: both imports exist)
  # and then the build's, so the condition flips on every retry and rests at False once the
  # retries have backed off (observed of the real controller v2.1.3).
  Scenario: The first failing import decides ResolvedRefs
    When "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: both
        annotations:
          application-networking.k8s.aws/target-group-arn: "arn:aws:vpc-lattice:us-west-2:123456789012:targetgroup/tg-0123456789abcdef0"
          application-networking.k8s.aws/export-name: both
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: malformed
        annotations: {application-networking.k8s.aws/target-group-arn: "arn:aws:ec2:us-west-2:123456789012:instance/i-0"}
      spec: {type: ClusterSetIP, ports: [{port: 80}]}
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata: {name: twofold}
      spec:
        parentRefs: [{name: my-hotel, sectionName: http}]
        rules:
        - backendRefs:
          - {kind: ServiceImport, name: both, port: 80}
          - {kind: ServiceImport, name: malformed, port: 80}
      """
    Then HTTPRoute default/twofold in "cluster-b" has ResolvedRefs=False with reason ConflictingServiceImportAnnotations
    And HTTPRoute default/twofold in "cluster-b" has no Lattice service

  # The GC rebuilds a route's groups and takes an unused one no rebuilt group matches: here
  # the group the route had before a policy changed its Service's protocol.
  @virtual-time
  Scenario: The GC takes a route's group its rebuilt model no longer has
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
    Then Lattice holds 1 target group
    When "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: TargetGroupPolicy
      metadata: {name: local}
      spec:
        targetRef: {group: "", kind: Service, name: local}
        protocol: HTTPS
        protocolVersion: HTTP1
      """
    And 90 seconds pass
    Then for 60 seconds, Lattice holds 1 target group
    And HTTPRoute default/local in "cluster-b" forwards to:
      | group                 | cluster   | port | weight |
      | service default/local | cluster-b | 80   | 1      |
    And nothing is orphaned in Lattice
