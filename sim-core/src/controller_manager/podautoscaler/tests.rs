//! The behavior policies' arithmetic against upstream's examples.

use super::*;

fn ev(change: i32, at_s: u64) -> ScaleEvent {
    ScaleEvent { change, at: SimTime(at_s * 1000), outdated: false }
}

fn rules(select: &str, policies: &[(&str, i32, i32)]) -> ScalingRules {
    ScalingRules {
        select_policy: Some(select.into()),
        policies: Some(
            policies
                .iter()
                .map(|(t, v, p)| crate::api::horizontal_pod_autoscaler::ScalingPolicy { type_: t.to_string(), value: *v, period_seconds: *p })
                .collect(),
        ),
        ..Default::default()
    }
}

/// The HPA concept page's scale-down example: policies Pods 4/60 s and Percent 10/60 s
/// (Max): "if there are 80 replicas and the target has to be scaled down to 10 replicas
/// then during the first step 8 replicas will be reduced. In the next iteration when the
/// number of replicas is 72, 10% of the pods is 7.2 but the number is rounded up to 8."
#[test]
fn the_documentations_scale_down_policies() {
    let r = rules("Max", &[("Pods", 4, 60), ("Percent", 10, 60)]);
    assert_eq!(scale_down_limit(80, &[], &[], &r, SimTime(0)), 72);
    // 61 s later the first step's event is out of the period.
    assert_eq!(scale_down_limit(72, &[], &[ev(8, 0)], &r, SimTime(61_000)), 64);
    // Within the period the step counts: the period started at 80, so no more.
    assert_eq!(scale_down_limit(72, &[], &[ev(8, 0)], &r, SimTime(30_000)), 72);
}

/// The default scale-up rules (v2 defaults.go: Pods 4 and Percent 100 per 15 s, Max): from
/// 1 replica at most 4 more in one step, from 10 at most 20.
#[test]
fn the_default_scale_up_rules() {
    let r = rules("Max", &[("Pods", 4, 15), ("Percent", 100, 15)]);
    assert_eq!(scale_up_limit(1, &[], &[], &r, SimTime(0)), 5);
    assert_eq!(scale_up_limit(10, &[], &[], &r, SimTime(0)), 20);
    // An event exactly one period old no longer counts (strict After).
    assert_eq!(scale_up_limit(5, &[ev(4, 0)], &[], &r, SimTime(15_000)), 10);
    assert_eq!(scale_up_limit(5, &[ev(4, 0)], &[], &r, SimTime(14_999)), 5);
    // Min picks the smaller change; Disabled none.
    assert_eq!(scale_up_limit(10, &[], &[], &rules("Min", &[("Pods", 4, 15), ("Percent", 100, 15)]), SimTime(0)), 14);
    assert_eq!(scale_up_limit(10, &[], &[], &rules("Disabled", &[("Pods", 4, 15)]), SimTime(0)), 10);
}

/// Go's f64 arithmetic, not exact fractions: 10 % up from 50 is ceil(55.00000000000001) =
/// 56; 80 % down from 5 is trunc(0.9999999999999998) = 0.
#[test]
fn percent_policies_round_as_go_does() {
    assert_eq!(scale_up_limit(50, &[], &[], &rules("Max", &[("Percent", 10, 15)]), SimTime(0)), 56);
    assert_eq!(scale_down_limit(5, &[], &[], &rules("Max", &[("Percent", 80, 15)]), SimTime(0)), 0);
}
