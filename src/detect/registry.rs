//! The detections proxyhunt runs and the finding types they produce.

use std::fmt;

use crate::data::schema::TableKind;

/// A detection as the command line names it (`--detection ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DetectionId {
    /// Sentinel rule "Non-Interactive Sign-In via TOR or Anonymous Proxy" (seed 000).
    AnonymizedSignin,
    /// Hunting query "Detect Multi-hop Proxy" (seed 004), three legs.
    MultihopProxy,
}

impl DetectionId {
    pub const ALL: [DetectionId; 2] = [DetectionId::AnonymizedSignin, DetectionId::MultihopProxy];

    pub fn id(self) -> &'static str {
        match self {
            DetectionId::AnonymizedSignin => "anonymized-signin",
            DetectionId::MultihopProxy => "multihop-proxy",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.id().eq_ignore_ascii_case(id))
    }

    pub fn title(self) -> &'static str {
        match self {
            DetectionId::AnonymizedSignin => "Non-Interactive Sign-In via TOR or Anonymous Proxy",
            DetectionId::MultihopProxy => "Multi-hop Proxy",
        }
    }

    pub fn severity(self) -> &'static str {
        "High"
    }

    pub fn mitre(self) -> &'static [&'static str] {
        match self {
            DetectionId::AnonymizedSignin => &["T1090", "T1528"],
            DetectionId::MultihopProxy => &["T1090", "T1090.003"],
        }
    }

    pub fn types(self) -> &'static [DetectionType] {
        match self {
            DetectionId::AnonymizedSignin => &[DetectionType::AnonymizedSignIn],
            DetectionId::MultihopProxy => &[
                DetectionType::ProxyToolLaunch,
                DetectionType::TorPortConnection,
                DetectionType::SshMultiHopProxy,
            ],
        }
    }
}

/// The `DetectionType` column of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DetectionType {
    AnonymizedSignIn,
    ProxyToolLaunch,
    TorPortConnection,
    SshMultiHopProxy,
}

impl DetectionType {
    pub const ALL: [DetectionType; 4] = [
        DetectionType::AnonymizedSignIn,
        DetectionType::ProxyToolLaunch,
        DetectionType::TorPortConnection,
        DetectionType::SshMultiHopProxy,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DetectionType::AnonymizedSignIn => "AnonymizedSignIn",
            DetectionType::ProxyToolLaunch => "ProxyToolLaunch",
            DetectionType::TorPortConnection => "TorPortConnection",
            DetectionType::SshMultiHopProxy => "SSHMultiHopProxy",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn detection(self) -> DetectionId {
        match self {
            DetectionType::AnonymizedSignIn => DetectionId::AnonymizedSignin,
            _ => DetectionId::MultihopProxy,
        }
    }

    /// The tables the finding type reads.
    pub fn tables(self) -> &'static [TableKind] {
        match self {
            DetectionType::AnonymizedSignIn => &[TableKind::SignIn, TableKind::ThreatIntel],
            DetectionType::ProxyToolLaunch | DetectionType::SshMultiHopProxy => {
                &[TableKind::DeviceProcess]
            }
            DetectionType::TorPortConnection => &[TableKind::DeviceNetwork],
        }
    }

    /// The columns the KQL projects for this type, in its order (the export contract).
    pub fn projected(self) -> &'static [&'static str] {
        match self {
            DetectionType::AnonymizedSignIn => &[
                "TimeGenerated",
                "UserPrincipalName",
                "AppDisplayName",
                "IPAddress",
                "Location",
                "AnonymizationType",
                "ConditionalAccessStatus",
                "AuthenticationRequirement",
                "CorrelationId",
                "UniqueTokenIdentifier",
            ],
            DetectionType::ProxyToolLaunch | DetectionType::SshMultiHopProxy => &[
                "Timestamp",
                "DeviceName",
                "AccountName",
                "FileName",
                "ProcessCommandLine",
                "InitiatingProcessFileName",
                "InitiatingProcessCommandLine",
            ],
            DetectionType::TorPortConnection => &[
                "Timestamp",
                "DeviceName",
                "InitiatingProcessFileName",
                "InitiatingProcessCommandLine",
                "RemoteIP",
                "RemotePort",
                "RemoteUrl",
            ],
        }
    }
}

impl fmt::Display for DetectionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
