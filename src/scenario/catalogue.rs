//! The step catalogue: every step of the library — its keywords, its cucumber expression,
//! the table or docstring it takes, what it needs of the world, and an example.
//! `latticelab steps` prints it, `features/README.md` carries the same text, the lint matches
//! scenarios against it, and `tests/catalogue.rs` holds it equal to the steps the library
//! defines.

use std::sync::OnceLock;

use crate::backend::Power;

/// Which keywords a step takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keywords {
    Given,
    When,
    GivenWhen,
    GivenThen,
    WhenThen,
}

impl Keywords {
    pub fn label(self) -> &'static str {
        match self {
            Keywords::Given => "Given",
            Keywords::When => "When",
            Keywords::GivenWhen => "Given/When",
            Keywords::GivenThen => "Given/Then",
            Keywords::WhenThen => "When/Then",
        }
    }

    pub fn allows(self, ty: cucumber::gherkin::StepType) -> bool {
        use cucumber::gherkin::StepType::*;
        matches!(
            (self, ty),
            (Keywords::Given | Keywords::GivenWhen | Keywords::GivenThen, Given)
                | (Keywords::When | Keywords::GivenWhen | Keywords::WhenThen, When)
                | (Keywords::GivenThen | Keywords::WhenThen, Then)
        )
    }
}

/// What a step takes below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    Nothing,
    Docstring(&'static str),
    Table { required: &'static [&'static str], optional: &'static [&'static str] },
}

#[derive(Clone, Copy, Debug)]
pub struct StepDoc {
    pub keywords: Keywords,
    pub expression: &'static str,
    pub input: Input,
    /// What only some runs have (`docs/scenarios.md#powers-what-a-scenario-needs`): a scenario with this step
    /// carries the power's tag.
    pub needs: Option<Power>,
    pub example: &'static str,
}

const fn step(keywords: Keywords, expression: &'static str, example: &'static str) -> StepDoc {
    StepDoc { keywords, expression, input: Input::Nothing, needs: None, example }
}

impl StepDoc {
    const fn table(mut self, required: &'static [&'static str], optional: &'static [&'static str]) -> Self {
        self.input = Input::Table { required, optional };
        self
    }

    const fn docstring(mut self, what: &'static str) -> Self {
        self.input = Input::Docstring(what);
        self
    }

    const fn needs(mut self, power: Power) -> Self {
        self.needs = Some(power);
        self
    }
}

use Keywords::*;

const FORWARDS: &[&str] = &["group", "cluster", "weight"];
const FORWARDS_OPTIONAL: &[&str] = &["vpc", "port", "version", "listener", "priority"];

pub const STEPS: &[StepDoc] = &[
    // Declaring the world.
    step(Given, "the clusters:", "Given the clusters:\n      | cluster   | vpc                   |\n      | cluster-a | vpc-0aaaaaaaaaaaaaaa1 |").table(&["cluster", "vpc"], &[]),
    step(Given, "the controllers run profile {profile}", "Given the controllers run profile fixed").needs(Power::ReferenceController),
    step(Given, "the controllers tag through {tagging}", "Given the controllers tag through Lattice"),
    step(Given, "a service network {string} associated with every cluster", "Given a service network \"my-hotel\" associated with every cluster"),
    step(Given, "a service network {string} associated with {cluster}", "Given a service network \"my-hotel\" associated with \"cluster-a\""),
    step(Given, "assertions wait up to {int} seconds", "Given assertions wait up to 600 seconds"),
    step(Given, "Lattice keeps new target groups CREATE_IN_PROGRESS for {duration}", "Given Lattice keeps new target groups CREATE_IN_PROGRESS for 20 seconds").needs(Power::LatticeSimulator),
    step(Given, "Lattice keeps deleted target groups DELETE_IN_PROGRESS for {duration}", "Given Lattice keeps deleted target groups DELETE_IN_PROGRESS for 20 seconds").needs(Power::LatticeSimulator),
    // Acting on clusters.
    step(Given, "{cluster} has applied:", "Given \"cluster-a\" has applied:\n      \"\"\"\n      apiVersion: v1\n      kind: Service\n      ...\n      \"\"\"").docstring("YAML documents"),
    step(When, "{cluster} applies:", "When \"cluster-a\" applies:\n      \"\"\"\n      apiVersion: v1\n      kind: Service\n      ...\n      \"\"\"").docstring("YAML documents"),
    step(When, "{cluster} rejects, with {string}:", "When \"cluster-b\" rejects, with \"spec.ports: Required value\":").docstring("YAML documents"),
    step(When, "{cluster} deletes {kind} {object}", "When \"cluster-a\" deletes ServiceExport default/inventory"),
    step(When, "{cluster} patches {kind} {object} with:", "When \"cluster-a\" patches ServiceExport default/inventory with:\n      \"\"\"\n      metadata: {annotations: {application-networking.k8s.aws/tags: \"team=shop\"}}\n      \"\"\"").docstring("a merge patch, YAML or JSON"),
    step(When, "service {object} in {cluster} has the endpoints {string}", "When service default/inventory in \"cluster-a\" has the endpoints \"10.0.0.7, 10.0.0.8\""),
    step(When, "{duration} pass(es)", "When 30 seconds pass").needs(Power::VirtualTime),
    // Faults, and what someone outside the controllers does.
    step(GivenWhen, "Lattice throttles the next {int} calls of {calls}", "When Lattice throttles the next 5 calls of ListTargetGroups").needs(Power::LatticeSimulator),
    step(GivenWhen, "Lattice fails {calls} with probability {float}", "When Lattice fails all with probability 0.2").needs(Power::LatticeSimulator),
    step(GivenWhen, "Lattice answers the next {int} {calls} call(s) with {fault}", "When Lattice answers the next 2 RegisterTargets calls with 409 ConflictException").needs(Power::LatticeSimulator),
    step(GivenWhen, "Lattice answers {calls} calls with {fault} for {duration}", "When Lattice answers all calls with 500 InternalServerException for 30 seconds").needs(Power::LatticeSimulator),
    step(GivenWhen, "Lattice answers {calls} calls with {fault} with probability {float}", "When Lattice answers ListTargetGroups calls with a delay of 200 ms with probability 0.5").needs(Power::LatticeSimulator),
    step(GivenWhen, "Lattice hides resources younger than {duration} from its lists", "When Lattice hides resources younger than 20 seconds from its lists").needs(Power::LatticeSimulator),
    step(GivenWhen, "{cluster} conflicts on {word} {word} with probability {float}", "When \"cluster-a\" conflicts on patch serviceexports with probability 0.5").needs(Power::ClusterFaults),
    step(When, "{cluster} drops its watches", "When \"cluster-b\" drops its watches").needs(Power::ClusterFaults),
    step(When, "{cluster} expires its watches", "When \"cluster-b\" expires its watches").needs(Power::ClusterFaults),
    step(When, "the faults stop", "When the faults stop"),
    step(When, "someone tags the target group of export {object} of {cluster} with {string} = {string}", "When someone tags the target group of export default/inventory of \"cluster-a\" with \"application-networking.k8s.aws/ClusterName\" = \"cluster-x\""),
    step(When, "someone adds a rule to the listener of the Lattice service {string}", "When someone adds a rule to the listener of the Lattice service \"inventory-default\""),
    // Lattice, as the view reads it.
    step(GivenThen, "{timing}export {object} of {cluster} has {int} target group(s)", "Then export default/inventory of \"cluster-a\" has 1 target group"),
    step(GivenThen, "{timing}export {object} of {cluster} has the target groups:", "Then export default/inventory of \"cluster-a\" has the target groups:\n      | port | protocol | version |\n      | 80   | HTTP     | HTTP1   |").table(&["port", "protocol", "version"], &["status"]),
    step(GivenThen, "{timing}the targets of export {object} of {cluster} are:", "Then the targets of export default/inventory of \"cluster-a\" are:\n      | ip       | port | status  |\n      | 10.0.0.7 | 8090 | UNUSED  |").table(&["ip", "port"], &["status"]),
    step(GivenThen, "{timing}the targets of export {object} of {cluster} on port {int} are:", "Then the targets of export default/inventory of \"cluster-a\" on port 8080 are:\n      | ip       | port |\n      | 10.0.0.7 | 9090 |").table(&["ip", "port"], &["status"]),
    step(GivenThen, "{timing}the targets of export {object} of {cluster} are empty", "Then the targets of export default/inventory of \"cluster-a\" are empty"),
    step(GivenThen, "{timing}{route_kind} {object} in {cluster} forwards to:", "Then HTTPRoute default/inventory in \"cluster-b\" forwards to:\n      | group                    | cluster   | vpc                   | port | weight |\n      | export default/inventory | cluster-a | vpc-0aaaaaaaaaaaaaaa1 | 80   | 90     |\n      | service default/local    | cluster-b | vpc-0bbbbbbbbbbbbbbb2 | 80   | 10     |").table(FORWARDS, FORWARDS_OPTIONAL),
    step(GivenThen, "{timing}{route_kind} {object} in {cluster} forwards to one of:", "Then HTTPRoute default/inventory in \"cluster-b\" forwards to one of:\n      | group                    | cluster   | weight |\n      | export default/inventory | cluster-a | 1      |\n      | export default/inventory | cluster-c | 1      |").table(FORWARDS, FORWARDS_OPTIONAL),
    step(GivenThen, "{timing}{route_kind} {object} in {cluster} forwards to nothing", "Then HTTPRoute default/inventory in \"cluster-b\" forwards to nothing"),
    step(GivenThen, "{timing}{route_kind} {object} in {cluster} has no Lattice service", "Then HTTPRoute default/inventory in \"cluster-b\" has no Lattice service"),
    step(GivenThen, "{timing}{route_kind} {object} in {cluster} answers {int}", "Then HTTPRoute default/broken in \"cluster-b\" answers 500"),
    step(GivenThen, "{timing}nothing is orphaned in Lattice", "Then nothing is orphaned in Lattice"),
    step(GivenThen, "{timing}no export has lost targets", "Then within 120 seconds, no export has lost targets"),
    step(GivenThen, "{timing}the world's invariants hold", "Then the world's invariants hold"),
    step(GivenThen, "{timing}a Lattice service named {string} exists", "Then a Lattice service named \"inventory-default\" exists"),
    step(GivenThen, "{timing}no Lattice service exists", "Then no Lattice service exists"),
    step(GivenThen, "{timing}Lattice holds {int} target group(s)", "Then for 60 seconds, Lattice holds 1 target group"),
    step(GivenThen, "{timing}export {object} of {cluster} has the tags:", "Then export default/inventory of \"cluster-a\" has the tags:\n      | key  | value |\n      | team | shop  |").table(&["key", "value"], &[]),
    step(GivenThen, "{timing}export {object} of {cluster} has among its tags:", "Then export default/inventory of \"cluster-a\" has among its tags:\n      | key  | value |\n      | team | shop  |").table(&["key", "value"], &[]),
    step(GivenThen, "{timing}export {object} of {cluster} has no tag {string}", "Then export default/inventory of \"cluster-a\" has no tag \"aws:owner\""),
    step(GivenThen, "{timing}export {object} of {cluster} has the health check:", "Then export default/inventory of \"cluster-a\" has the health check:\n      | field           | value    |\n      | path            | /healthz |\n      | intervalSeconds | 10       |").table(&["field", "value"], &[]),
    step(GivenThen, "{timing}service network {string} has {int} service association(s)", "Then service network \"my-hotel\" has 1 service association"),
    step(GivenThen, "{timing}the Lattice service {string} has {int} rule(s) besides its defaults", "Then the Lattice service \"inventory-default\" has 1 rule besides its defaults"),
    // Kubernetes objects.
    step(GivenThen, "{timing}{route_kind} {object} in {cluster} has {word}={status} with reason {word}", "Then HTTPRoute default/inventory in \"cluster-b\" has ResolvedRefs=False with reason BackendNotFound"),
    step(GivenThen, "{timing}{kind} {object} in {cluster} has the finalizer {string}", "Then ServiceExport default/inventory in \"cluster-a\" has the finalizer \"serviceexport.k8s.aws/resources\""),
    step(GivenThen, "{timing}{kind} {object} in {cluster} has no finalizers", "Then ServiceExport default/inventory in \"cluster-a\" has no finalizers"),
    step(GivenThen, "{timing}{kind} {object} in {cluster} is gone", "Then ServiceExport default/inventory in \"cluster-a\" is gone"),
    step(GivenThen, "{timing}{kind} {object} in {cluster} exists", "Then ServiceImport default/inventory in \"cluster-b\" exists"),
    step(GivenThen, "{timing}{cluster} recorded a {word} event for {object}", "Then \"cluster-a\" recorded a FailedBuildModel event for default/inventory"),
    step(GivenThen, "{timing}{cluster} recorded a {word} event for {object} saying {string}", "Then \"cluster-a\" recorded a FailedBuildModel event for default/inventory saying \"k8sService\""),
    // Calls Lattice received.
    step(GivenThen, "Lattice received {comparison} {int} {operation} call(s)", "Then Lattice received exactly 1 CreateTargetGroup call").needs(Power::LatticeSimulator),
    step(GivenThen, "Lattice received {comparison} {int} {operation} call(s) from the controller of {cluster}", "Then Lattice received at most 3 ListTargetGroups calls from the controller of \"cluster-b\"").needs(Power::LatticeSimulator),
    step(GivenThen, "Lattice received {comparison} {int} {operation} call(s) in the last {duration}", "Then Lattice received exactly 0 CreateTargetGroup calls in the last 60 seconds").needs(Power::LatticeSimulator),
    step(WhenThen, "the Lattice calls are reported", "Then the Lattice calls are reported").needs(Power::LatticeSimulator),
];

/// A catalogue entry with its expression compiled as cucumber compiles it.
pub struct Compiled {
    pub doc: &'static StepDoc,
    pub regex: regex::Regex,
}

/// Every entry, compiled once.
pub fn compiled() -> &'static [Compiled] {
    static COMPILED: OnceLock<Vec<Compiled>> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let params: std::collections::HashMap<&str, &str> = super::params::regexes().into_iter().collect();
        STEPS
            .iter()
            .map(|doc| Compiled {
                doc,
                regex: cucumber_expressions::Expression::regex_with_parameters(doc.expression, &params).unwrap_or_else(
                    |e| panic!("the catalogue's expression {:?} does not compile: {e}", doc.expression),
                ),
            })
            .collect()
    })
}

/// The entries whose expression matches a step's text (placeholders filled in).
pub fn matching(text: &str) -> Vec<&'static Compiled> {
    compiled().iter().filter(|c| c.regex.is_match(text)).collect()
}

/// The catalogue as text (what `latticelab steps` prints and features/README.md holds).
pub fn render() -> String {
    let mut out = String::from(
        "Parameter types: {cluster} = \"cluster-a\"; {object} = namespace/name; {duration} = 30 seconds | 2 minutes;\n\
         {kind} = Service, EndpointSlice, ServiceExport, ServiceImport, TargetGroupPolicy, HTTPRoute, GRPCRoute, TLSRoute, Gateway, …;\n\
         {route_kind} = HTTPRoute | GRPCRoute | TLSRoute; {status} = True | False | Unknown; {profile} = v2.1.3 | fixed; {tagging} = Lattice | the Resource Groups Tagging API;\n\
         {operation} = a Lattice operation (ListTargetGroups); {calls} = an operation or all; {comparison} = at most | at least | exactly;\n\
         {fault} = 429 ThrottlingException | 409 ConflictException | 500 InternalServerException | a delay of N ms.\n\
         {timing} before an assertion: nothing (true once the world has settled, within the scenario's bound of 300 s\n\
         unless changed) | within N seconds, (the same with its own bound) | for N seconds, (settled, then true throughout)\n\
         | at no point within N seconds, (false throughout).\n\n",
    );
    for s in STEPS {
        let input = match s.input {
            Input::Nothing => String::new(),
            Input::Docstring(what) => format!("  (docstring: {what})"),
            Input::Table { required, optional } => {
                let opt: Vec<String> = optional.iter().map(|o| format!("[{o}]")).collect();
                let cols: Vec<String> = required.iter().map(|r| r.to_string()).chain(opt).collect();
                format!("  (table: | {} |)", cols.join(" | "))
            }
        };
        let needs = s.needs.map(|p| format!("  @{}", p.tag())).unwrap_or_default();
        out.push_str(&format!("{} {}{input}{needs}\n    {}\n\n", s.keywords.label(), s.expression, s.example));
    }
    out
}
