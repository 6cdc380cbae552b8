//! A small RFC 4180 reader: a header row, then records; fields may be
//! quoted, with `""` for a quote and commas or line breaks inside quotes.
//!
//! Hand-written rather than the `csv` crate, which (1.4, checked) accepts a
//! quote left open at the end of the file as data and numbers records
//! after a blank line one line short, so a bad row would be imported
//! silently or reported at the wrong line.

/// Records of a CSV text, header first. Each record carries the line it
/// starts on, for error messages.
pub fn parse(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => {
                if c == '\n' {
                    line += 1;
                }
                field.push(c);
            }
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push((record_line, std::mem::take(&mut record)));
                line += 1;
                record_line = line;
            }
            (false, c) => field.push(c),
        }
    }
    if quoted {
        return Err(format!("line {record_line}: a quoted field is not closed"));
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push((record_line, record));
    }
    // Blank lines are not records.
    records.retain(|(_, r)| !(r.len() == 1 && r[0].is_empty()));
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn reads_quotes_commas_and_line_breaks() {
        let text = "key,title,notes\r\na1,\"Fix, then ship\",\"say \"\"hi\"\"\"\n\na2,Plain,\"two\nlines\"\n";
        let records = parse(text).unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[1],
            (
                2,
                vec!["a1".into(), "Fix, then ship".into(), "say \"hi\"".into()]
            )
        );
        assert_eq!(
            records[2],
            (4, vec!["a2".into(), "Plain".into(), "two\nlines".into()])
        );
        assert!(parse("a,\"open").is_err());
        assert_eq!(
            parse("a,b").unwrap(),
            vec![(1, vec!["a".into(), "b".into()])]
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::parse;

        /// `records` written as CSV, every field quoted.
        fn write(records: &[Vec<String>]) -> String {
            records
                .iter()
                .map(|record| {
                    record
                        .iter()
                        .map(|field| format!("\"{}\"", field.replace('"', "\"\"")))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect::<Vec<_>>()
                .join("\r\n")
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            #[test]
            fn any_text_is_read_or_refused_with_a_line(text in prop_oneof![
                any::<String>(),
                "[a,\"\r\n ]{0,60}",
            ]) {
                match parse(&text) {
                    Ok(records) => {
                        let lines = text.split('\n').count();
                        let mut last = 0;
                        for (line, _) in &records {
                            prop_assert!(*line > last && *line <= lines, "line {} of {}", line, lines);
                            last = *line;
                        }
                    }
                    Err(message) => prop_assert!(message.starts_with("line "), "{}", message),
                }
            }

            #[test]
            fn written_records_read_back_exactly(records in prop::collection::vec(
                prop::collection::vec("\\PC{0,8}|[,\"\n ]{1,3}", 2..5),
                1..8,
            )) {
                let text = write(&records);
                let read: Vec<Vec<String>> = parse(&text).unwrap().into_iter().map(|(_, r)| r).collect();
                prop_assert_eq!(read, records);
            }
        }
    }
}
