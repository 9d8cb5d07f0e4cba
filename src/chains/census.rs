//! How many distinct devices the findings of some time windows name, for the stolen-token
//! sentence ("N devices did, none of them carol's").

use std::collections::HashMap;
use std::ops::Range;

use super::build::Item;

/// The devices of time-sorted findings as small numbers, with a mark per device: counting the
/// distinct devices of a user's windows is then a pass over numbers. (A set of device names per
/// user, thousands of users times up to a thousand findings each, was a third of a chains run's
/// own time on 5M-row data.)
pub(super) struct DeviceCensus<'a> {
    /// The device number of each finding, in the findings' order.
    ids: Vec<u32>,
    names: Vec<&'a str>,
    /// `marks[d] == round`: device `d` is counted in this round.
    marks: Vec<u32>,
    round: u32,
}

impl<'a> DeviceCensus<'a> {
    pub fn new(findings: &[&'a Item]) -> Self {
        let mut number: HashMap<&'a str, u32> = HashMap::new();
        let mut names: Vec<&'a str> = Vec::new();
        let ids = findings
            .iter()
            .map(|i| {
                let name = i.device.as_str();
                *number.entry(name).or_insert_with(|| {
                    names.push(name);
                    (names.len() - 1) as u32
                })
            })
            .collect();
        Self {
            ids,
            marks: vec![0; names.len()],
            names,
            round: 0,
        }
    }

    /// The number of distinct devices of the findings at `ranges` (positions in the slice
    /// [`DeviceCensus::new`] was given), and the first of them.
    pub fn distinct(&mut self, ranges: &[Range<usize>]) -> (usize, Option<&'a str>) {
        self.round = self.round.wrapping_add(1);
        if self.round == 0 {
            self.marks.fill(0);
            self.round = 1;
        }
        let mut count = 0;
        let mut first = None;
        for range in ranges {
            for &d in &self.ids[range.clone()] {
                let mark = &mut self.marks[d as usize];
                if *mark != self.round {
                    *mark = self.round;
                    count += 1;
                    first.get_or_insert(self.names[d as usize]);
                }
            }
        }
        (count, first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::DetectionType;

    fn item(device: &str) -> Item {
        Item {
            row: 0,
            base: DetectionType::TorPortConnection,
            time: 0,
            user: String::new(),
            device: device.into(),
            ip: String::new(),
            port: None,
            file_name: String::new(),
            strength: 0,
        }
    }

    #[test]
    fn counts_each_device_once_per_call_across_ranges() {
        let items: Vec<Item> = ["a", "b", "a", "c", "b", "d"].map(item).into();
        let refs: Vec<&Item> = items.iter().collect();
        let mut census = DeviceCensus::new(&refs);
        assert_eq!(census.distinct(&[0..3, 2..5]), (3, Some("a")));
        // A new call counts afresh.
        let one = |r: Range<usize>| vec![r];
        assert_eq!(census.distinct(&one(4..6)), (2, Some("b")));
        assert_eq!(census.distinct(&one(2..3)), (1, Some("a")));
        assert_eq!(census.distinct(&[]), (0, None));
        assert_eq!(census.distinct(&one(3..3)), (0, None));
    }
}
