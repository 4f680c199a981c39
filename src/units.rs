//! Units: durations written by people ("90s", "5m", "4h") and latency values in any time unit,
//! always carried as seconds (durations) or milliseconds (latencies) inside the crate.

/// Parses a duration such as `90`, `90s`, `5m`, `1h30m`, `4h`, `2d` into whole seconds.
/// A bare number is seconds.
pub fn parse_duration_s(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.parse::<u64>() {
        return Some(n);
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut seen_unit = false;
    let chars: Vec<char> = t.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            num.push(c);
            i += 1;
            continue;
        }
        let mut unit = String::new();
        while i < chars.len() && chars[i].is_ascii_alphabetic() {
            unit.push(chars[i]);
            i += 1;
        }
        if num.is_empty() || unit.is_empty() {
            return None;
        }
        let n: u64 = num.parse().ok()?;
        let mult = match unit.as_str() {
            "s" | "sec" | "secs" => 1,
            "m" | "min" | "mins" => 60,
            "h" | "hr" | "hrs" => 3600,
            "d" => 86_400,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(mult)?)?;
        num.clear();
        seen_unit = true;
    }
    if !num.is_empty() || !seen_unit {
        return None;
    }
    Some(total)
}

/// Formats seconds the way people write them: `45s`, `5m`, `1h30m`, `4h`.
pub fn format_duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 {
        out.push_str(&format!("{s}s"));
    }
    out
}

/// A time unit a runner may report latencies in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Nanos,
    Micros,
    Millis,
    Seconds,
}

impl TimeUnit {
    /// Recognises unit suffixes as written in key names or values: `ns`, `us`/`µs`, `ms`, `s`.
    pub fn from_suffix(s: &str) -> Option<TimeUnit> {
        match s {
            "ns" => Some(TimeUnit::Nanos),
            "us" | "µs" | "μs" => Some(TimeUnit::Micros),
            "ms" => Some(TimeUnit::Millis),
            "s" | "sec" => Some(TimeUnit::Seconds),
            _ => None,
        }
    }

    /// The inverse of `to_ms`: a millisecond value expressed in this unit.
    pub fn from_ms_inverse(self, ms: f64) -> f64 {
        ms / self.to_ms(1.0)
    }

    pub fn to_ms(self, v: f64) -> f64 {
        match self {
            TimeUnit::Nanos => v / 1_000_000.0,
            TimeUnit::Micros => v / 1_000.0,
            TimeUnit::Millis => v,
            TimeUnit::Seconds => v * 1_000.0,
        }
    }
}

/// Parses a latency written with its unit, such as `350ms`, `0.35s`, `350000us`.
/// Returns `Err` with the unit text when the unit is not a time unit.
pub fn parse_latency_ms(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')
        })
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.parse().map_err(|_| t.to_string())?;
    let unit = unit.trim();
    if unit.is_empty() {
        return Ok(value);
    }
    TimeUnit::from_suffix(unit)
        .map(|u| u.to_ms(value))
        .ok_or_else(|| unit.to_string())
}

/// Rounds to a fixed number of decimals so generated numbers stay readable and stable.
/// A byte count for people: `812 bytes`, `1.5 KiB`, `200.0 MiB`, `8.0 GiB`.
pub fn show_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

pub fn round(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let r = (v * f).round() / f;
    if r == 0.0 { 0.0 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration_s("90"), Some(90));
        assert_eq!(parse_duration_s("90s"), Some(90));
        assert_eq!(parse_duration_s("5m"), Some(300));
        assert_eq!(parse_duration_s("1h30m"), Some(5400));
        assert_eq!(parse_duration_s("2d"), Some(172_800));
        assert_eq!(parse_duration_s("5x"), None);
        assert_eq!(parse_duration_s("m"), None);
        assert_eq!(parse_duration_s("5m3"), None);
        assert_eq!(format_duration(5400), "1h30m");
        assert_eq!(format_duration(45), "45s");
    }

    #[test]
    fn latencies_with_units() {
        assert_eq!(parse_latency_ms("350ms"), Ok(350.0));
        assert_eq!(parse_latency_ms("0.35s"), Ok(350.0));
        assert_eq!(parse_latency_ms("350000us"), Ok(350.0));
        assert_eq!(parse_latency_ms("350"), Ok(350.0));
        assert_eq!(parse_latency_ms("3 parsecs"), Err("parsecs".into()));
    }
}
