@import
Feature: The ServiceImport reference, statement by statement
  A ServiceImport names an exported service as the backend of a route. The controller searches
  every target group of the account for the export's tags and forwards to the first match.

  Background:
    Given the clusters:
      | cluster   | vpc                   |
      | cluster-a | vpc-0aaaaaaaaaaaaaaa1 |
      | cluster-b | vpc-0bbbbbbbbbbbbbbb2 |
    And a service network "my-gateway" associated with every cluster
    And "cluster-a" has applied:
      """
      apiVersion: v1
      kind: Service
      metadata:
        name: my-service
      spec:
        selector: {app: my-service}
        ports:
        - name: http
          port: 80
          targetPort: 8090
      ---
      apiVersion: discovery.k8s.io/v1
      kind: EndpointSlice
      metadata:
        name: my-service-1
        labels: {kubernetes.io/service-name: my-service}
      addressType: IPv4
      ports:
      - {name: http, port: 8090, protocol: TCP}
      endpoints:
      - addresses: [10.244.1.5]
        conditions: {ready: true}
      - addresses: [10.244.1.6]
        conditions: {ready: true}
      ---
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceExport
      metadata:
        name: my-service
        annotations:
          application-networking.k8s.aws/federation: "amazon-vpc-lattice"
      spec:
        exportedPorts:
        - port: 80
          routeType: HTTP
      """
    And "cluster-b" has applied:
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: GatewayClass
      metadata:
        name: amazon-vpc-lattice
      spec:
        controllerName: application-networking.k8s.aws/gateway-api-controller
      ---
      apiVersion: gateway.networking.k8s.io/v1
      kind: Gateway
      metadata:
        name: my-gateway
      spec:
        gatewayClassName: amazon-vpc-lattice
        listeners:
        - name: http
          protocol: HTTP
          port: 80
      """

  Scenario: The reference's HTTPRoute example forwards to the exporting cluster's target group
    When "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: my-service
        annotations:
          application-networking.k8s.aws/aws-eks-cluster-name: "cluster-a"
      spec:
        type: ClusterSetIP
        ports:
        - port: 80
          protocol: TCP
      ---
      apiVersion: gateway.networking.k8s.io/v1beta1
      kind: HTTPRoute
      metadata:
        name: my-route
      spec:
        parentRefs:
          - name: my-gateway
            sectionName: http
        rules:
          - backendRefs:
              - name: my-service
                kind: ServiceImport
      """
    Then HTTPRoute default/my-route in "cluster-b" forwards to:
      | group                     | cluster   | vpc                   | port | version | weight | listener | priority |
      | export default/my-service | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | HTTP1   | 1      | HTTP:80  | 1        |
    And the targets of export default/my-service of "cluster-a" are:
      | ip         | port |
      | 10.244.1.5 | 8090 |
      | 10.244.1.6 | 8090 |
    And the world's invariants hold

  Scenario: The reference's ServiceImport example is rejected as a real API server rejects it
    When "cluster-b" rejects, with "spec.ports: Required value":
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: my-service
        annotations:
          application-networking.k8s.aws/aws-eks-cluster-name: "cluster-a"
      spec: {}
      """
    And "cluster-b" rejects, with "spec.type: Required value":
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: my-service
      spec: {}
      """
    Then ServiceImport default/my-service in "cluster-b" is gone
    When "cluster-b" applies:
      """
      apiVersion: application-networking.k8s.aws/v1alpha1
      kind: ServiceImport
      metadata:
        name: my-service
      spec:
        type: ClusterSetIP
        ports:
        - port: 80
      """
    Then ServiceImport default/my-service in "cluster-b" exists
