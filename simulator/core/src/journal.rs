//! The call journal: every call a simulator answered, with the virtual time, in order,
//! and a counter per operation.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    pub seq: u64,
    pub at_ms: u64,
    /// Who called (an access key id on Lattice), so counts can be asked per caller.
    pub caller: String,
    pub operation: String,
    pub request: Value,
    pub status: u16,
    pub response: Value,
}

/// What identifies one call in the journal: when, who, which operation.
#[derive(Clone, Copy, Debug)]
pub struct Call<'a> {
    pub at_ms: u64,
    pub caller: &'a str,
    pub operation: &'a str,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Journal {
    entries: Vec<JournalEntry>,
    counters: BTreeMap<String, u64>,
}

impl Journal {
    pub fn record(&mut self, call: Call<'_>, request: Value, status: u16, response: Value) {
        *self.counters.entry(call.operation.to_string()).or_default() += 1;
        let seq = self.entries.len() as u64 + 1;
        self.entries.push(JournalEntry {
            seq,
            at_ms: call.at_ms,
            caller: call.caller.to_string(),
            operation: call.operation.to_string(),
            request,
            status,
            response,
        });
    }

    /// Calls of `operation` from `caller` (any caller when `None`) made at or after `since_ms`.
    pub fn count_where(&self, operation: &str, caller: Option<&str>, since_ms: u64) -> u64 {
        self.entries
            .iter()
            .filter(|e| e.operation == operation && e.at_ms >= since_ms && caller.is_none_or(|c| e.caller == c))
            .count() as u64
    }

    pub fn entries(&self) -> &[JournalEntry] {
        &self.entries
    }

    /// Calls per operation, in name order.
    pub fn counters(&self) -> &BTreeMap<String, u64> {
        &self.counters
    }

    pub fn count(&self, operation: &str) -> u64 {
        self.counters.get(operation).copied().unwrap_or(0)
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.counters.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_records() {
        let mut journal = Journal::default();
        let call = |at_ms, caller, operation| Call { at_ms, caller, operation };
        journal.record(call(1, "a", "GetService"), Value::Null, 200, Value::Null);
        journal.record(call(2, "b", "GetService"), Value::Null, 404, Value::Null);
        journal.record(call(3, "a", "ListServices"), Value::Null, 200, Value::Null);
        assert_eq!(journal.count("GetService"), 2);
        assert_eq!(journal.count_where("GetService", Some("b"), 0), 1);
        assert_eq!(journal.count_where("GetService", None, 2), 1);
        assert_eq!(journal.entries()[2].seq, 3);
        journal.clear();
        assert_eq!(journal.count("GetService"), 0);
    }
}
