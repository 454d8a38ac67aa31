//! Correlation conditions: a conjunction of comparisons (`gt`, `gte`, `lt`, `lte`, `eq`,
//! `neq`) with the aggregate of a window — a count, a number of distinct values, a sum,
//! an average or a percentile.

use rsigma_parser::ConditionOperator;

#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Threshold {
    predicates: Vec<(ConditionOperator, f64)>,
}

impl Threshold {
    /// Holds for every aggregate.
    pub fn any() -> Threshold {
        Threshold {
            predicates: Vec::new(),
        }
    }

    pub fn at_least(n: f64) -> Threshold {
        let mut t = Threshold::any();
        t.add(ConditionOperator::Gte, n);
        t
    }

    pub fn add(&mut self, op: ConditionOperator, value: f64) {
        self.predicates.push((op, value));
    }

    pub fn holds(&self, x: f64) -> bool {
        self.predicates.iter().all(|(op, v)| match op {
            ConditionOperator::Lt => x < *v,
            ConditionOperator::Lte => x <= *v,
            ConditionOperator::Gt => x > *v,
            ConditionOperator::Gte => x >= *v,
            ConditionOperator::Eq => x == *v,
            ConditionOperator::Neq => x != *v,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_conjunctions() {
        let mut t = Threshold::any();
        t.add(ConditionOperator::Gt, 100.0);
        t.add(ConditionOperator::Lte, 200.0);
        assert!(!t.holds(100.0));
        assert!(t.holds(101.0));
        assert!(t.holds(200.0));
        assert!(!t.holds(201.0));
        assert!(Threshold::at_least(3.0).holds(3.0));
        let mut neq = Threshold::any();
        neq.add(ConditionOperator::Neq, 1.0);
        assert!(!neq.holds(1.0) && neq.holds(2.0));
    }
}
