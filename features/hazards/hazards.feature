@hazard
Feature: The hazards of controller.md §9 under both profiles

  Background:
    Given a service network "my-hotel" associated with every cluster

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
    And "cluster-a" deletes ServiceExport default/frozen
    And 120 seconds pass
    Then ServiceExport default/frozen in "cluster-a" <outcome>

    Examples:
      | profile | outcome                                                  |
      | v2.1.3  | has the finalizer "serviceexport.k8s.aws/resources"      |
      | fixed   | is gone                                                  |

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
    Then <targets>

    Examples:
      | profile | targets                                                                 |
      | fixed   | the targets of export default/orphan of "cluster-a" are empty           |
      | v2.1.3  | no export has lost targets                                              |

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
    Then export default/multi of "cluster-a" has <groups> target groups

    Examples:
      | profile | groups |
      | v2.1.3  | 1      |
      | fixed   | 2      |

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
