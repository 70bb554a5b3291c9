//! The step catalogue: every step of the library with an example. `latticelab steps` prints
//! it, and `features/README.md` carries the same text (a test keeps them in sync).

/// `(keyword, pattern, example)`.
pub const STEPS: &[(&str, &str, &str)] = &[
    (
        "Given",
        "the clusters:  (table: | cluster | vpc |)",
        "Given the clusters:\n      | cluster   | vpc                   |\n      | cluster-a | vpc-0aaaaaaaaaaaaaaa1 |",
    ),
    ("Given", "the controllers run profile {word}", "Given the controllers run profile fixed"),
    (
        "Given",
        "a service network {string} associated with every cluster",
        "Given a service network \"my-hotel\" associated with every cluster",
    ),
    (
        "Given",
        "a service network {string} associated with {cluster}",
        "Given a service network \"my-hotel\" associated with \"cluster-a\"",
    ),
    ("Given", "assertions wait up to {int} seconds", "Given assertions wait up to 600 seconds"),
    (
        "Given/When",
        "{cluster} has applied: / {cluster} applies:  (docstring: YAML documents)",
        "When \"cluster-a\" applies:\n      \"\"\"\n      apiVersion: v1\n      kind: Service\n      ...\n      \"\"\"",
    ),
    (
        "When",
        "{cluster} rejects, with {string}:  (docstring)",
        "When \"cluster-b\" rejects, with \"spec.ports: Required value\":",
    ),
    ("When", "{cluster} deletes {word} {object}", "When \"cluster-a\" deletes ServiceExport default/inventory"),
    (
        "When",
        "{cluster} patches {word} {object} with:  (docstring: a merge patch, YAML or JSON)",
        "When \"cluster-a\" patches ServiceExport default/inventory with:\n      \"\"\"\n      metadata: {annotations: {application-networking.k8s.aws/tags: \"team=shop\"}}\n      \"\"\"",
    ),
    (
        "When",
        "service {object} in {cluster} has the endpoints {string}",
        "When service default/inventory in \"cluster-a\" has the endpoints \"10.0.0.7, 10.0.0.8\"",
    ),
    ("When", "{duration} pass(es)", "When 30 seconds pass"),
    (
        "Given/When",
        "Lattice throttles the next {int} calls of {word}",
        "When Lattice throttles the next 5 calls of ListTargetGroups",
    ),
    ("Given/When", "Lattice fails {word} with probability {float}", "When Lattice fails all with probability 0.2"),
    (
        "Given/When",
        "Lattice hides resources younger than {duration} from its lists",
        "When Lattice hides resources younger than 20 seconds from its lists",
    ),
    (
        "Given/When",
        "{cluster} conflicts on {word} {word} with probability {float}",
        "When \"cluster-a\" conflicts on patch serviceexports with probability 0.5",
    ),
    ("When", "{cluster} drops its watches", "When \"cluster-b\" drops its watches"),
    ("When", "{cluster} expires its watches", "When \"cluster-b\" expires its watches"),
    ("When", "the faults stop", "When the faults stop"),
    (
        "When",
        "someone tags the target group of export {word} of {cluster} with {string} = {string}",
        "When someone tags the target group of export default/inventory of \"cluster-a\" with \"application-networking.k8s.aws/ClusterName\" = \"cluster-x\"",
    ),
    (
        "Then",
        "[within N seconds,] export {object} of {cluster} has N target group(s)",
        "Then export default/inventory of \"cluster-a\" has 1 target group",
    ),
    (
        "Then",
        "[within N seconds,] export {object} of {cluster} has the target groups:  (table: | port | protocol | version |)",
        "Then export default/inventory of \"cluster-a\" has the target groups:\n      | port | protocol | version |\n      | 80   | HTTP     | HTTP1   |",
    ),
    (
        "Then",
        "[within N seconds,] the targets of export {object} of {cluster} [on port N] are:  (table: | ip | port |)",
        "Then the targets of export default/inventory of \"cluster-a\" are:\n      | ip        | port |\n      | 10.0.0.7  | 8090 |",
    ),
    (
        "Then",
        "[within N seconds,] the targets of export {object} of {cluster} are empty",
        "Then the targets of export default/inventory of \"cluster-a\" are empty",
    ),
    (
        "Then",
        "[within N seconds,] HTTPRoute|GRPCRoute|TLSRoute {object} in {cluster} forwards to:  (table: | cluster | vpc | port | weight |)",
        "Then HTTPRoute default/inventory in \"cluster-b\" forwards to:\n      | cluster   | vpc                   | port | weight |\n      | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 90     |",
    ),
    (
        "Then",
        "[within N seconds,] HTTPRoute|GRPCRoute|TLSRoute {object} in {cluster} forwards to nothing",
        "Then HTTPRoute default/inventory in \"cluster-b\" forwards to nothing",
    ),
    (
        "Then",
        "[within N seconds,] HTTPRoute|GRPCRoute|TLSRoute {object} in {cluster} answers N",
        "Then HTTPRoute default/broken in \"cluster-b\" answers 500",
    ),
    (
        "Then",
        "[within N seconds,] HTTPRoute|… {object} in {cluster} has TYPE=True|False|Unknown with reason REASON",
        "Then HTTPRoute default/inventory in \"cluster-b\" has ResolvedRefs=False with reason BackendNotFound",
    ),
    (
        "Then",
        "[within N seconds,] KIND {object} in {cluster} has the finalizer {string} | has no finalizers | is gone | exists",
        "Then ServiceExport default/inventory in \"cluster-a\" has the finalizer \"serviceexport.k8s.aws/resources\"",
    ),
    (
        "Then",
        "[within N seconds,] {cluster} recorded a REASON event for {object} [saying {string}]",
        "Then \"cluster-a\" recorded a FailedBuildModel event for default/inventory saying \"k8sService\"",
    ),
    ("Then", "[within N seconds,] nothing is orphaned in Lattice", "Then nothing is orphaned in Lattice"),
    ("Then", "[within N seconds,] no export has lost targets", "Then within 120 seconds, no export has lost targets"),
    ("Then", "[within N seconds,] the world's invariants hold", "Then the world's invariants hold"),
    (
        "Then",
        "Lattice received at most|at least|exactly N OPERATION calls",
        "Then Lattice received exactly 1 CreateTargetGroup calls",
    ),
    (
        "Then",
        "[within N seconds,] a Lattice service named {string} exists",
        "Then a Lattice service named \"inventory-default\" exists",
    ),
    ("Then", "[within N seconds,] no Lattice service exists", "Then no Lattice service exists"),
    ("Then", "[within N seconds,] Lattice holds N target group(s)", "Then Lattice holds 0 target groups"),
];

/// The catalogue as text (what `latticelab steps` prints and features/README.md holds).
pub fn render() -> String {
    let mut out = String::from(
        "Parameter types: {cluster} = \"cluster-a\"; {object} = namespace/name; {duration} = 30 seconds | 2 minutes; {status} = True | False | Unknown.\nAssertions wait for convergence (virtual time) up to the scenario's bound (300 s unless changed), or the step's own `within N seconds,`.\n\n",
    );
    for (keyword, pattern, example) in STEPS {
        out.push_str(&format!("{keyword} {pattern}\n    {example}\n\n"));
    }
    out
}
