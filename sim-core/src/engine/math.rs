//! Float transcendentals for anything that decides (scores, fault times): libm's
//! pure-Rust port of musl's libm, the same code on every target. `f64::ln` and the like
//! call the platform's libm — glibc natively, a different port in wasm — and those
//! disagree in the last bit for some inputs, so a native and a browser run of one
//! (scenario, seed) could part ways. clippy.toml bans the std methods in sim-core.
//!
//! libm's log is fdlibm's e_log.c, the algorithm Go's pure math.Log ports too; it is
//! within 1 ulp, not always correctly rounded: ln 3 is 0x3FF193EA7AAD030A here and in
//! fdlibm, while glibc (and CPython's math.log) give the correctly rounded …030B.

/// The natural logarithm, libm's (fdlibm) on every target.
pub fn ln(x: f64) -> f64 {
    libm::log(x)
}

/// `x.round() as i64` (half away from zero, Go's math.Round, then Go's int64 conversion
/// of an in-range value) without the call: on the x86-64 baseline, with no SSE4.1
/// `roundsd`, `f64::round` is compiler-builtins' software round, 2 % of a 5,000-node
/// density run in PodTopologySpread's Score alone. `x as i64` truncates in one
/// instruction; for |x| < 2⁵² the fraction `x − trunc x` is exact (both share x's
/// exponent or less), and from 2⁵² on every double is an integer, so the fraction is 0.
/// The `as` conversion saturates (NaN → 0) as `round() as i64` does, and the step past a
/// saturated bound saturates too. Equal to `x.round() as i64` for every double: the
/// tests compare both on the edges and on random bit patterns.
#[inline]
pub fn round_i64(x: f64) -> i64 {
    let t = x as i64;
    let frac = x - t as f64;
    if frac >= 0.5 {
        t.saturating_add(1)
    } else if frac <= -0.5 {
        t.saturating_sub(1)
    } else {
        t
    }
}

/// (x, ln x) as bits, for values ksim's decisions use: PodTopologySpread's weights
/// ln(domains + 2) for 0–10, 100, 1000 and 5000 domains, and the fault plan's
/// ln(1 − uniform) for the first draw of the "faults" stream with seeds 1 and 42, plus a
/// few others. Derived outside Rust: fdlibm's e_log.c written out in Python (its
/// published hex constants, Python floats being IEEE doubles), and checked against the
/// correctly rounded value (Python's decimal at 80 digits): equal for all but ln 3,
/// where fdlibm is 1 ulp below (…030A vs …030B, which glibc and CPython return). The
/// fault-plan inputs come from the ChaCha8 stream computed as in engine/rng.rs's pinned
/// test, as rand's f64 draw does it: 1 − (u64 >> 11) · 2⁻⁵³.
pub const PINNED_LN: &[(u64, u64)] = &[
    (0x4000000000000000, 0x3FE62E42FEFA39EF), // 2
    (0x4008000000000000, 0x3FF193EA7AAD030A), // 3 (glibc: …030B)
    (0x4010000000000000, 0x3FF62E42FEFA39EF), // 4
    (0x4014000000000000, 0x3FF9C041F7ED8D33), // 5
    (0x4018000000000000, 0x3FFCAB0BFA2A2002), // 6
    (0x401C000000000000, 0x3FFF2272AE325A57), // 7
    (0x4020000000000000, 0x4000A2B23F3BAB73), // 8
    (0x4022000000000000, 0x400193EA7AAD030B), // 9
    (0x4024000000000000, 0x40026BB1BBB55516), // 10
    (0x4026000000000000, 0x40032EE3B77F374C), // 11
    (0x4028000000000000, 0x4003E116BCD39E7D), // 12
    (0x4059800000000000, 0x40127FF8DF87C7BD), // 102
    (0x408F500000000000, 0x401BA3965D405F5F), // 1002
    (0x40B38A0000000000, 0x40210901F6DC84B9), // 5002
    (0x3FE7666EB9F8176F, 0xBFD40819E09D4B85), // faults stream, seed 1, first draw
    (0x3FED1D3FCDA39939, 0xBFB831AD0118BAAC), // faults stream, seed 42, first draw
    (0x3FE0000000000000, 0xBFE62E42FEFA39EF), // 0.5
    (0x3FB999999999999A, 0xC0026BB1BBB55515), // 0.1
    (0x3DDB7CDFD9D7BDBB, 0xC037069E2AA2AA5B), // 1e-10
];

/// Recomputes [`PINNED_LN`] on this target (the wasm test calls it through sim-web):
/// Err names every input whose bits differ.
pub fn check_pinned() -> Result<(), String> {
    let bad: Vec<String> = PINNED_LN
        .iter()
        .filter(|(x, want)| ln(f64::from_bits(*x)).to_bits() != *want)
        .map(|(x, want)| format!("ln({}) = {:#018X}, pinned {want:#018X}", f64::from_bits(*x), ln(f64::from_bits(*x)).to_bits()))
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;
    use rand::Rng;

    #[test]
    fn ln_bits_are_pinned() {
        check_pinned().unwrap();
        assert_eq!(ln(3.0).to_bits(), 0x3FF193EA7AAD030A);
    }

    /// The fault-plan inputs above are the streams' real first draws.
    #[test]
    fn fault_inputs_are_the_first_draws() {
        for (seed, bits) in [(1, 0x3FE7666EB9F8176F_u64), (42, 0x3FED1D3FCDA39939)] {
            let u: f64 = 1.0 - RngStreams::new(seed).stream("faults").random::<f64>();
            assert_eq!(u.to_bits(), bits, "seed {seed}");
        }
    }

    /// round_i64 is `round() as i64` on the edges (halves, the largest doubles below a
    /// half, around 2⁵² = 4503599627370496, 2⁵³ = 9007199254740992 and 2⁶³ (the i64
    /// bounds), infinities, NaN, subnormals, −0) and on a million random bit patterns
    /// and a million random values of scores' size.
    #[test]
    fn round_i64_is_round_as_i64() {
        let mut xs: Vec<f64> = vec![0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994];
        xs.extend([f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MIN_POSITIVE, -f64::MIN_POSITIVE, f64::MAX, f64::MIN, 5e-324]);
        for base in [4503599627370496.0, 9007199254740992.0, 9.223_372_036_854_776e18, -9.223_372_036_854_776e18, 4503599627370495.5, 1e300] {
            let mut y = base;
            for _ in 0..4 {
                xs.extend([y, -y]);
                y = f64::from_bits(y.to_bits() + 1);
            }
            let mut y = base;
            for _ in 0..4 {
                xs.extend([y, -y]);
                y = f64::from_bits(y.to_bits() - 1);
            }
        }
        for k in -1000..1000 {
            let h = f64::from(k) + 0.5;
            xs.extend([h, f64::from_bits(h.to_bits() + 1), f64::from_bits(h.to_bits() - 1)]);
        }
        let mut rng = RngStreams::new(7).stream("round");
        for _ in 0..1_000_000 {
            xs.push(f64::from_bits(rng.random::<u64>()));
            xs.push((rng.random::<f64>() - 0.5) * 2e4);
        }
        for x in xs {
            assert_eq!(round_i64(x), x.round() as i64, "{x:e} ({:#018X})", x.to_bits());
        }
    }
}
