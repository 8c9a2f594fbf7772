//! NodePorts (plugins/nodeports): a pod asking for host ports fits only nodes where no
//! pod already holds a conflicting one (same protocol and port, and 0.0.0.0 or the
//! same address on either side).

use crate::scheduler::framework::{NodeInfo, PodInfo, Status};

pub const NAME: &str = "NodePorts";
pub const ERR_REASON: &str = "node(s) didn't have free ports for the requested pod ports";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    let conflict = pod.host_ports().iter().any(|want| node.used_ports.iter().any(|used| used.conflicts(want)));
    conflict.then(|| Status::unschedulable(NAME, vec![ERR_REASON.into()]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheduler::framework::HostPort;

    fn hp(ip: &str, proto: &str, port: i32) -> HostPort {
        HostPort { ip: ip.into(), protocol: proto.into(), port }
    }

    /// node_ports_test.go TestNodePorts: "same udp port" conflicts, "different protocol"
    /// and "different host ip" do not, "second ip with 0.0.0.0" does.
    #[test]
    fn conflicts_like_upstream() {
        let mut node = NodeInfo::default();
        node.used_ports.push(hp("127.0.0.1", "UDP", 8080));
        let mut pod = PodInfo::with_requests(0, 0);
        pod.terms_mut().host_ports = vec![hp("127.0.0.1", "UDP", 8080)];
        assert!(filter(&pod, &node).is_some(), "same udp port");
        pod.terms_mut().host_ports = vec![hp("127.0.0.1", "TCP", 8080)];
        assert!(filter(&pod, &node).is_none(), "different protocol");
        pod.terms_mut().host_ports = vec![hp("127.0.0.2", "UDP", 8080)];
        assert!(filter(&pod, &node).is_none(), "different host ip");
        pod.terms_mut().host_ports = vec![hp("0.0.0.0", "UDP", 8080)];
        assert!(filter(&pod, &node).is_some(), "0.0.0.0 conflicts with every address");
    }
}
