//! How many cases a property runs: its default, or `LATTICELAB_PROPTEST_CASES`.

/// `default`, unless `LATTICELAB_PROPTEST_CASES` says otherwise. A value that is not a
/// positive whole number is refused: zero cases would make every property pass unchecked.
pub fn proptest_cases(default: u32) -> u32 {
    match std::env::var("LATTICELAB_PROPTEST_CASES") {
        Err(_) => default,
        Ok(text) => match text.trim().parse::<u32>() {
            Ok(n) if n > 0 => n,
            _ => panic!("LATTICELAB_PROPTEST_CASES={text:?}: a number of cases, at least 1"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs this test binary again, for just this test, with the variable set to `value`.
    fn child(value: &str) -> std::process::Output {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "cases::tests::zero_and_words_are_refused", "--nocapture"])
            .env("LATTICELAB_CASES_CHILD", "1")
            .env("LATTICELAB_PROPTEST_CASES", value)
            .output()
            .unwrap()
    }

    #[test]
    fn zero_and_words_are_refused() {
        if std::env::var("LATTICELAB_CASES_CHILD").is_ok() {
            let _ = proptest_cases(5);
            return;
        }
        for bad in ["0", "many"] {
            let out = child(bad);
            assert!(!out.status.success(), "{bad} must be refused");
            let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(said.contains("a number of cases, at least 1"), "{said}");
        }
        assert!(child("7").status.success());
    }
}
