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
    pub operation: String,
    pub request: Value,
    pub status: u16,
    pub response: Value,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Journal {
    entries: Vec<JournalEntry>,
    counters: BTreeMap<String, u64>,
}

impl Journal {
    pub fn record(&mut self, at_ms: u64, operation: &str, request: Value, status: u16, response: Value) {
        *self.counters.entry(operation.to_string()).or_default() += 1;
        let seq = self.entries.len() as u64 + 1;
        self.entries.push(JournalEntry { seq, at_ms, operation: operation.to_string(), request, status, response });
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
        journal.record(1, "GetService", Value::Null, 200, Value::Null);
        journal.record(2, "GetService", Value::Null, 404, Value::Null);
        journal.record(3, "ListServices", Value::Null, 200, Value::Null);
        assert_eq!(journal.count("GetService"), 2);
        assert_eq!(journal.entries()[2].seq, 3);
        journal.clear();
        assert_eq!(journal.count("GetService"), 0);
    }
}
