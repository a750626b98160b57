//! Which instruction set the kernels use: a value the caller passes down (each prepared
//! layer keeps the set it was made with), never a process-wide switch, so tests of
//! every set run side by side in one binary and the choice is visible where it is used.

/// The instruction sets the transforms and the small products use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LaneSet {
    /// Sixteen lanes (AVX-512F, with AVX2 for the eight-lane side).
    Avx512,
    /// Eight lanes (AVX2, with FMA's fused multiply-add).
    Avx2,
    /// Plain arrays of eight lanes, which the compiler vectorises for the target.
    Portable,
}

impl LaneSet {
    /// Every set, widest first.
    pub const ALL: [LaneSet; 3] = [LaneSet::Avx512, LaneSet::Avx2, LaneSet::Portable];

    /// The widest set this CPU has.
    pub fn best() -> LaneSet {
        Self::ALL
            .into_iter()
            .find(|set| set.is_available())
            .unwrap_or(LaneSet::Portable)
    }

    /// Whether this CPU can run the set.
    pub fn is_available(self) -> bool {
        match self {
            LaneSet::Portable => true,
            #[cfg(target_arch = "x86_64")]
            LaneSet::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
            }
            #[cfg(target_arch = "x86_64")]
            LaneSet::Avx512 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("avx512f")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// Every set this CPU can run, widest first.
    pub fn available() -> impl Iterator<Item = LaneSet> {
        Self::ALL.into_iter().filter(|s| s.is_available())
    }

    /// `f32` lanes per vector of the set (its `Lanes::LANES`).
    pub fn lanes(self) -> usize {
        match self {
            LaneSet::Avx512 => 16,
            LaneSet::Avx2 | LaneSet::Portable => 8,
        }
    }

    /// How the set is named on the command line and in the config file.
    pub fn name(self) -> &'static str {
        match self {
            LaneSet::Avx512 => "avx512",
            LaneSet::Avx2 => "avx2",
            LaneSet::Portable => "portable",
        }
    }

    /// How the set is shown to a person.
    pub fn label(self) -> &'static str {
        match self {
            LaneSet::Avx512 => "AVX-512",
            LaneSet::Avx2 => "AVX2",
            LaneSet::Portable => "portable",
        }
    }
}

impl std::str::FromStr for LaneSet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|set| set.name() == s)
            .ok_or_else(|| format!("unknown kernel set '{s}' (expected avx512, avx2 or portable)"))
    }
}
