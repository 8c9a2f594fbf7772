//! nodename/node_name_test.go TestNodeName.

use super::{node, pod};
use crate::scheduler::framework::Status;
use crate::scheduler::plugins::node_name::{filter, ERR_REASON, NAME};

#[test]
fn node_name() {
    // "no host specified"
    assert_eq!(filter(&pod("p").info(), &node("").info()), None);
    // "host matches"
    assert_eq!(filter(&pod("p").node("foo").info(), &node("foo").info()), None);
    // "host doesn't match"
    assert_eq!(filter(&pod("p").node("bar").info(), &node("foo").info()), Some(Status::unresolvable(NAME, ERR_REASON.into())));
}
