//! The tuning file's shapes as serde reads them, one `[[filter]]` at a time. The value types say
//! in plain words what they expect ("a string or a list of strings", "a port number"), so that
//! a message never shows a Rust type name.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use toml::Spanned;

/// A string or a list of strings (`field = "FileName"` or `field = ["FileName", "Device"]`).
#[derive(Debug)]
pub struct Strings(pub Vec<String>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Strings, E> {
                Ok(Strings(vec![s.to_string()]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut out = Vec::new();
                while let Some(Text(s)) = seq.next_element()? {
                    out.push(s);
                }
                Ok(Strings(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One string (inside a list: says "a string", not "a sequence").
#[derive(Debug)]
pub struct Text(pub String);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Text, E> {
                Ok(Text(s.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A list (`in = [...]`, `ports = [...]`, the `[[filter.when]]` tables); each element says what
/// it expects.
#[derive(Debug)]
pub struct List<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element()? {
                    out.push(item);
                }
                Ok(List(out))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// A TCP/UDP port: an integer from 0 to 65535.
#[derive(Debug, Clone, Copy)]
pub struct Port(pub u16);

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number from 0 to 65535")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Port, E> {
                u16::try_from(n)
                    .map(Port)
                    .map_err(|_| E::custom(format!("port {n} is outside 0-65535")))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Port, E> {
                u16::try_from(n)
                    .map(Port)
                    .map_err(|_| E::custom(format!("port {n} is outside 0-65535")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A day: a TOML date (`2026-12-31`) or the same as a string.
#[derive(Debug, Clone)]
pub struct Day(pub String);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s,
            toml::Value::Datetime(dt) => dt.to_string(),
            other => {
                return Err(de::Error::custom(format!(
                    "expected a date such as 2026-12-31, found {}",
                    other.type_str()
                )))
            }
        };
        match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(day) if day.format("%Y-%m-%d").to_string() == text => Ok(Day(text)),
            _ => Err(de::Error::custom(format!(
                "{text:?} is not a date such as 2026-12-31"
            ))),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[filter.when]] table")]
pub struct RawCondition {
    pub field: Spanned<Strings>,
    pub equals: Option<Spanned<Strings>>,
    #[serde(rename = "in")]
    pub in_: Option<Spanned<List<Text>>>,
    pub glob: Option<Spanned<Strings>>,
    pub regex: Option<Spanned<Text>>,
    pub has: Option<Spanned<Strings>>,
    pub cidr: Option<Spanned<Strings>>,
    pub ports: Option<Spanned<List<Port>>>,
    #[serde(default)]
    pub case_sensitive: bool,
    #[serde(default)]
    pub not: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a [[filter]] table")]
pub struct RawFilter {
    pub id: Text,
    pub title: Text,
    pub reason: Text,
    pub detection_types: Spanned<List<Text>>,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub owner: Option<Text>,
    pub created: Option<Day>,
    pub expires: Option<Day>,
    pub site_values: Option<Text>,
    pub when: Option<List<Spanned<RawCondition>>>,
}

fn yes() -> bool {
    true
}
