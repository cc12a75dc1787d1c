//! Automated notices, sans-IO: their texts, per-store template overrides, idempotency keys and
//! send pacing.
//!
//! The help article promises four automated texts: repair ready, custom order arrived,
//! payment link and appointment reminder. The host detects the event and supplies the values;
//! this module turns them into a text ([`render`]), a key that lets the host send each event
//! once ([`idempotency_key`]), and a delay that keeps a burst within the account's throughput
//! ([`Pacer`]).
//!
//! Templates use `{name}` placeholders; `{{` and `}}` stand for literal braces. Values are
//! inserted as they are and never expanded again, so a value containing braces is safe.

use std::fmt;

use super::error::MAX_BODY_CHARS;
use super::segments::{self, Encoding};

/// One automated notice, with the values only it supplies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// A repair's status flipped to Ready.
    RepairReady {
        /// What was repaired, as the host names it ("ring", "Rolex Submariner").
        item: String,
    },
    /// A special order was received in store.
    CustomOrderArrived {
        /// What arrived, as the host names it.
        item: String,
    },
    /// A payment link, sent alongside (or instead of) the host's email.
    PaymentLink {
        /// The link the customer pays at.
        url: String,
        /// The amount as the host formats it, e.g. `"$412.50"`.
        amount: String,
    },
    /// A reminder of a sizing or consultation appointment.
    AppointmentReminder {
        /// When, as the host formats it, e.g. `"tomorrow at 2:30pm"`.
        time: String,
    },
}

impl Notice {
    /// The notice's stable name: `"repair-ready"`, `"custom-order-arrived"`, `"payment-link"`
    /// or `"appointment-reminder"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Notice::RepairReady { .. } => "repair-ready",
            Notice::CustomOrderArrived { .. } => "custom-order-arrived",
            Notice::PaymentLink { .. } => "payment-link",
            Notice::AppointmentReminder { .. } => "appointment-reminder",
        }
    }
}

/// The values every notice supplies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoticeContext {
    /// Fills `{first_name}`.
    pub customer_first_name: String,
    /// Fills `{store}`.
    pub store_name: String,
}

/// A rendered notice, counted as Twilio will bill it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The text to send.
    pub text: String,
    /// Billed segments ([`segments::count`]).
    pub segments: u32,
    /// The encoding the text goes out in.
    pub encoding: Encoding,
}

/// A notice kind: its name, built-in template and the placeholders it supplies.
#[derive(Clone, Copy)]
struct Kind {
    name: &'static str,
    template: &'static str,
    placeholders: &'static [&'static str],
}

/// The built-in templates: GSM-7 only, one segment for typical values.
static KINDS: [Kind; 4] = [
    Kind {
        name: "repair-ready",
        template: "Hi {first_name}, your {item} is ready for pickup at {store}. See you soon!",
        placeholders: &["first_name", "store", "item"],
    },
    Kind {
        name: "custom-order-arrived",
        template: "Hi {first_name}, good news: your {item} has arrived at {store}. Stop by any \
                   time to see it!",
        placeholders: &["first_name", "store", "item"],
    },
    Kind {
        name: "payment-link",
        // The link comes last so no punctuation sticks to it.
        template: "Hi {first_name}, here is your {amount} payment link from {store}: {link}",
        placeholders: &["first_name", "store", "link", "amount"],
    },
    Kind {
        name: "appointment-reminder",
        template: "Hi {first_name}, a reminder of your appointment at {store} {time}. See you \
                   then!",
        placeholders: &["first_name", "store", "time"],
    },
];

/// Every placeholder some notice supplies.
const ALL_PLACEHOLDERS: [&str; 6] = ["first_name", "store", "item", "link", "amount", "time"];

fn kind_info(kind: &str) -> Option<&'static Kind> {
    KINDS.iter().find(|k| k.name == kind)
}

/// The built-in template for a notice kind (`"repair-ready"`, ...), or `None` for an unknown
/// kind.
pub fn default_template(kind: &str) -> Option<&'static str> {
    kind_info(kind).map(|k| k.template)
}

/// The placeholders a notice kind supplies, or `None` for an unknown kind.
pub fn placeholders(kind: &str) -> Option<&'static [&'static str]> {
    kind_info(kind).map(|k| k.placeholders)
}

/// The host setting that holds a store's override for a notice kind: `"template.repair-ready"`.
pub fn template_config_key(kind: &str) -> String {
    format!("template.{kind}")
}

/// Why a notice cannot be rendered, or keyed. Every case names the notice kind; the
/// `Display` sentence says how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{name}` is not a placeholder of any notice (or not a well-formed one).
    UnknownPlaceholder {
        /// The notice kind.
        kind: &'static str,
        /// The text between the braces.
        name: String,
    },
    /// `{name}` is a placeholder, but not one this notice supplies (`{link}` in repair-ready).
    PlaceholderNotSupplied {
        /// The notice kind.
        kind: &'static str,
        /// The placeholder.
        name: String,
    },
    /// A `{` is never closed.
    UnclosedBrace {
        /// The notice kind.
        kind: &'static str,
        /// The placeholder-like name right after the brace, possibly empty.
        start: String,
    },
    /// A `}` has no `{` before it.
    StrayClosingBrace {
        /// The notice kind.
        kind: &'static str,
    },
    /// The value for a placeholder the template uses is empty or only white space.
    EmptyValue {
        /// The notice kind.
        kind: &'static str,
        /// The placeholder.
        name: String,
    },
    /// The rendered text has more characters than Twilio accepts.
    TooLong {
        /// The notice kind.
        kind: &'static str,
        /// Characters in the rendered text.
        chars: u32,
    },
    /// No notice has this kind.
    UnknownKind(String),
    /// The host event ID is empty.
    EmptyEventId {
        /// The notice kind.
        kind: &'static str,
    },
    /// The host event ID contains a control character.
    EventIdControlCharacter {
        /// The notice kind.
        kind: &'static str,
    },
    /// The host event ID is longer than [`MAX_EVENT_ID_CHARS`].
    EventIdTooLong {
        /// The notice kind.
        kind: &'static str,
        /// Characters in the ID.
        chars: u32,
    },
}

/// What the store reads for each placeholder when its value is missing.
fn label(name: &str) -> &'static str {
    match name {
        "first_name" => "the customer's first name",
        "store" => "the store name",
        "item" => "the item",
        "link" => "the payment link",
        "amount" => "the amount",
        "time" => "the appointment time",
        _ => "its value",
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// Writes `a`, `a or b`, `a, b or c`, ... with each item between `open` and `close`.
fn write_list(f: &mut fmt::Formatter<'_>, items: &[&str], open: &str, close: &str) -> fmt::Result {
    let last = items.len().saturating_sub(1);
    for (i, item) in items.iter().enumerate() {
        let sep = match i {
            0 => "",
            _ if i == last => " or ",
            _ => ", ",
        };
        write!(f, "{sep}{open}{item}{close}")?;
    }
    Ok(())
}

fn write_use(f: &mut fmt::Formatter<'_>, kind: &str) -> fmt::Result {
    f.write_str("Use ")?;
    write_list(f, placeholders(kind).unwrap_or_default(), "{", "}")?;
    f.write_str(".")
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TemplateError::UnknownPlaceholder { kind, name } => {
                write!(
                    f,
                    "The {kind} template uses {{{name}}}, which isn't a placeholder. "
                )?;
                write_use(f, kind)?;
                if name.is_empty() || !name.chars().all(is_name_char) {
                    f.write_str(" To show a brace itself, write {{ or }}.")?;
                }
                Ok(())
            }
            TemplateError::PlaceholderNotSupplied { kind, name } => {
                let a = if kind.starts_with('a') { "an" } else { "a" };
                write!(
                    f,
                    "The {kind} template uses {{{name}}}, which {a} {kind} notice doesn't have. "
                )?;
                write_use(f, kind)
            }
            TemplateError::UnclosedBrace { kind, start } if start.is_empty() => write!(
                f,
                "The {kind} template has a {{ that is never closed. Close the placeholder with \
                 }}, as in {{first_name}}, or write {{{{ to show a brace itself."
            ),
            TemplateError::UnclosedBrace { kind, start } => write!(
                f,
                "The {kind} template has {{{start} without a closing }}. Add the }}, or write \
                 {{{{ to show a brace itself."
            ),
            TemplateError::StrayClosingBrace { kind } => write!(
                f,
                "The {kind} template has a }} with no {{ before it. Remove it, or write }}}} to \
                 show a brace itself."
            ),
            TemplateError::EmptyValue { kind, name } => write!(
                f,
                "The {kind} template uses {{{name}}}, but {} is empty. Fill it in, or take \
                 {{{name}}} out of the template.",
                label(name)
            ),
            TemplateError::TooLong { kind, chars } => write!(
                f,
                "The {kind} text would be {chars} characters long; Twilio accepts at most \
                 {MAX_BODY_CHARS}. Shorten the template or the values it fills in."
            ),
            TemplateError::UnknownKind(kind) => {
                write!(f, "There is no \"{kind}\" notice. Use ")?;
                let names = KINDS.map(|k| k.name);
                write_list(f, &names, "", "")?;
                f.write_str(".")
            }
            TemplateError::EmptyEventId { kind } => write!(
                f,
                "The {kind} notice has no event ID. Pass the ID of the event that triggered \
                 it, so the text is sent only once."
            ),
            TemplateError::EventIdControlCharacter { kind } => write!(
                f,
                "The {kind} notice's event ID contains a control character (such as a line \
                 break). Pass the event's ID as plain text."
            ),
            TemplateError::EventIdTooLong { kind, chars } => write!(
                f,
                "The {kind} notice's event ID is {chars} characters long; at most \
                 {MAX_EVENT_ID_CHARS} are allowed. Pass the event's own short ID."
            ),
        }
    }
}

impl std::error::Error for TemplateError {}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The value a notice gives a placeholder, or `None` when it does not supply it.
fn value<'a>(notice: &'a Notice, ctx: &'a NoticeContext, name: &str) -> Option<&'a str> {
    match (name, notice) {
        ("first_name", _) => Some(&ctx.customer_first_name),
        ("store", _) => Some(&ctx.store_name),
        ("item", Notice::RepairReady { item } | Notice::CustomOrderArrived { item }) => Some(item),
        ("link", Notice::PaymentLink { url, .. }) => Some(url),
        ("amount", Notice::PaymentLink { amount, .. }) => Some(amount),
        ("time", Notice::AppointmentReminder { time }) => Some(time),
        _ => None,
    }
}

/// Renders `notice` with the store's `override_template`, or the built-in template when there
/// is none (an empty or blank override also means the built-in one).
///
/// The first problem in the template, reading left to right, is the error; a text over
/// [`MAX_BODY_CHARS`] characters is [`TemplateError::TooLong`].
pub fn render(
    notice: &Notice,
    ctx: &NoticeContext,
    override_template: Option<&str>,
) -> Result<Rendered, TemplateError> {
    let kind = notice.kind();
    let template = match override_template {
        Some(t) if !t.trim().is_empty() => t,
        _ => default_template(kind).unwrap_or_default(),
    };
    let mut text = String::with_capacity(template.len() + 64);
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        let rest = chars.as_str();
        match c {
            '{' => {
                if let Some(after) = rest.strip_prefix('{') {
                    text.push('{');
                    chars = after.chars();
                    continue;
                }
                let Some((name, after)) = rest.split_once('}').filter(|(n, _)| !n.contains('{'))
                else {
                    let start = rest.chars().take_while(|&c| is_name_char(c)).collect();
                    return Err(TemplateError::UnclosedBrace { kind, start });
                };
                let Some(v) = value(notice, ctx, name) else {
                    let name = name.to_owned();
                    return Err(if ALL_PLACEHOLDERS.contains(&name.as_str()) {
                        TemplateError::PlaceholderNotSupplied { kind, name }
                    } else {
                        TemplateError::UnknownPlaceholder { kind, name }
                    });
                };
                if v.trim().is_empty() {
                    let name = name.to_owned();
                    return Err(TemplateError::EmptyValue { kind, name });
                }
                text.push_str(v);
                chars = after.chars();
            }
            '}' => match rest.strip_prefix('}') {
                Some(after) => {
                    text.push('}');
                    chars = after.chars();
                }
                None => return Err(TemplateError::StrayClosingBrace { kind }),
            },
            c => text.push(c),
        }
    }
    let length = text.chars().count();
    if length > MAX_BODY_CHARS {
        return Err(TemplateError::TooLong {
            kind,
            chars: saturate(length),
        });
    }
    let info = segments::count(&text);
    Ok(Rendered {
        text,
        segments: info.segments,
        encoding: info.encoding,
    })
}

/// The longest host event ID [`idempotency_key`] accepts, in characters.
pub const MAX_EVENT_ID_CHARS: usize = 200;

/// The key that makes a notice go out once per host event: `"repair-ready:1234"`.
///
/// The ID is kept exactly as given (no trimming or case folding), so the same event always
/// gives the same key. The kind must be one of [`Notice::kind`]'s names.
pub fn idempotency_key(notice_kind: &str, host_event_id: &str) -> Result<String, TemplateError> {
    let kind = kind_info(notice_kind)
        .ok_or_else(|| TemplateError::UnknownKind(notice_kind.to_owned()))?
        .name;
    let length = host_event_id.chars().count();
    if host_event_id.is_empty() {
        Err(TemplateError::EmptyEventId { kind })
    } else if host_event_id.chars().any(char::is_control) {
        Err(TemplateError::EventIdControlCharacter { kind })
    } else if length > MAX_EVENT_ID_CHARS {
        Err(TemplateError::EventIdTooLong {
            kind,
            chars: saturate(length),
        })
    } else {
        Ok(format!("{kind}:{host_event_id}"))
    }
}

/// Paces sends to the account's throughput, which Twilio meters in segments per second.
///
/// A token bucket holding one second's budget, sans-IO: the caller supplies a monotonic clock
/// in milliseconds and waits the returned delay. Each message is accounted as sent when its
/// delay ends, so a burst queues up with growing delays instead of failing. A message larger
/// than the bucket waits until its segments have accrued at the metered rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pacer {
    segments_per_second: u32,
    /// When the bucket is full again (the GCRA "theoretical arrival time"), in milliseconds
    /// times `segments_per_second`, so one segment is exactly 1000 units at any rate.
    full_at: u128,
}

impl Pacer {
    /// A pacer with a full bucket; a rate of 0 is treated as 1.
    pub fn new(segments_per_second: u32) -> Pacer {
        Pacer {
            segments_per_second: segments_per_second.max(1),
            full_at: 0,
        }
    }

    /// Milliseconds to wait at `now_ms` before sending a message of `segments` (0 is counted
    /// as 1); 0 when the budget allows it now. The message is accounted as sent at
    /// `now_ms` plus the returned delay.
    pub fn delay_for(&mut self, now_ms: u64, segments: u32) -> u64 {
        let rate = u128::from(self.segments_per_second);
        // Neither product can overflow: u64 × u32 and u32 × 1000 fit in u128.
        let now = u128::from(now_ms) * rate;
        let cost = u128::from(segments.max(1)) * 1000;
        let burst = rate * 1000;
        self.full_at = self.full_at.max(now).saturating_add(cost);
        let wait = self.full_at.saturating_sub(burst).saturating_sub(now);
        u64::try_from(wait.div_ceil(rate)).unwrap_or(u64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ctx(first: &str, store: &str) -> NoticeContext {
        NoticeContext {
            customer_first_name: first.into(),
            store_name: store.into(),
        }
    }

    fn maria() -> NoticeContext {
        ctx("Maria", "Goldsmith & Co")
    }

    fn repair(item: &str) -> Notice {
        Notice::RepairReady { item: item.into() }
    }

    fn all_notices() -> [Notice; 4] {
        [
            repair("white gold engagement ring"),
            Notice::CustomOrderArrived {
                item: "custom sapphire pendant".into(),
            },
            Notice::PaymentLink {
                url: "https://pay.jeweltrak.com/i/8fK2xQ9LmZ".into(),
                amount: "$412.50".into(),
            },
            Notice::AppointmentReminder {
                time: "tomorrow at 2:30pm".into(),
            },
        ]
    }

    fn err(notice: &Notice, context: &NoticeContext, template: &str) -> TemplateError {
        match render(notice, context, Some(template)) {
            Err(e) => e,
            Ok(r) => panic!("{template:?} rendered {:?}", r.text),
        }
    }

    #[test]
    fn default_templates_are_one_gsm_segment() {
        let expected = [
            "Hi Maria, your white gold engagement ring is ready for pickup at Goldsmith & Co. \
             See you soon!",
            "Hi Maria, good news: your custom sapphire pendant has arrived at Goldsmith & Co. \
             Stop by any time to see it!",
            "Hi Maria, here is your $412.50 payment link from Goldsmith & Co: \
             https://pay.jeweltrak.com/i/8fK2xQ9LmZ",
            "Hi Maria, a reminder of your appointment at Goldsmith & Co tomorrow at 2:30pm. \
             See you then!",
        ];
        for (notice, text) in all_notices().iter().zip(expected) {
            let r = render(notice, &maria(), None).unwrap();
            assert_eq!(r.text, text);
            assert_eq!((r.encoding, r.segments), (Encoding::Gsm7, 1), "{text}");
            // Room to spare for longer names and items.
            assert!(
                segments::count(&r.text).remaining_in_segment >= 40,
                "{text}"
            );
            // A blank override means the built-in template.
            assert_eq!(render(notice, &maria(), Some(" \n")).unwrap(), r);
        }
        for k in &KINDS {
            assert!(k.template.chars().all(segments::is_gsm_char), "{}", k.name);
        }
    }

    #[test]
    fn kinds_and_keys() {
        let kinds = all_notices().map(|n| n.kind());
        assert_eq!(
            kinds,
            [
                "repair-ready",
                "custom-order-arrived",
                "payment-link",
                "appointment-reminder"
            ]
        );
        assert_eq!(kinds, KINDS.map(|k| k.name));
        assert_eq!(template_config_key("repair-ready"), "template.repair-ready");
        assert_eq!(
            default_template("repair-ready"),
            Some("Hi {first_name}, your {item} is ready for pickup at {store}. See you soon!")
        );
        assert_eq!(default_template("birthday"), None);
        assert_eq!(placeholders("birthday"), None);
        // The table's placeholder lists are exactly what each notice supplies.
        for notice in all_notices() {
            let listed = placeholders(notice.kind()).unwrap();
            for name in ALL_PLACEHOLDERS {
                let supplied = value(&notice, &maria(), name).is_some();
                assert_eq!(supplied, listed.contains(&name), "{name} in {notice:?}");
            }
        }
    }

    #[test]
    fn overrides_with_every_placeholder() {
        let [repair, arrived, pay, appointment] = all_notices();
        let store = ctx("Ana", "Lumen Jewelers");
        let r = render(&repair, &store, Some("{first_name}|{store}|{item}")).unwrap();
        assert_eq!(r.text, "Ana|Lumen Jewelers|white gold engagement ring");
        let r = render(&arrived, &store, Some("{item} is in, {first_name}!")).unwrap();
        assert_eq!(r.text, "custom sapphire pendant is in, Ana!");
        let r = render(
            &pay,
            &store,
            Some("{store}: {first_name}, pay {amount} at {link} ({amount})"),
        )
        .unwrap();
        assert_eq!(
            r.text,
            "Lumen Jewelers: Ana, pay $412.50 at https://pay.jeweltrak.com/i/8fK2xQ9LmZ ($412.50)"
        );
        let r = render(&appointment, &store, Some("{time} @ {store}, {first_name}")).unwrap();
        assert_eq!(r.text, "tomorrow at 2:30pm @ Lumen Jewelers, Ana");
        assert_eq!((r.encoding, r.segments), (Encoding::Gsm7, 1));
        // A template with no placeholders is sent as it is.
        let r = render(&repair, &store, Some("Your repair is ready.")).unwrap();
        assert_eq!(r.text, "Your repair is ready.");
    }

    #[test]
    fn literal_braces_and_values_are_not_expanded() {
        let r = render(
            &repair("ring"),
            &maria(),
            Some("{{first_name}} is {first_name}; }}{{ {{{item}}}"),
        )
        .unwrap();
        assert_eq!(r.text, "{first_name} is Maria; }{ {ring}");
        // Braces are GSM extension characters: 2 septets each.
        assert_eq!(
            segments::count(&r.text).characters,
            r.text.chars().count() as u32 + 6
        );

        let sly = ctx("{store}", "{{Gold}} {item} }");
        let r = render(&repair("{link} {"), &sly, None).unwrap();
        assert_eq!(
            r.text,
            "Hi {store}, your {link} { is ready for pickup at {{Gold}} {item} }. See you soon!"
        );
    }

    #[test]
    fn emoji_value_switches_to_ucs2() {
        let r = render(&repair("ring"), &ctx("Maya 💍", "Goldsmith & Co"), None).unwrap();
        assert_eq!(
            r.text,
            "Hi Maya 💍, your ring is ready for pickup at Goldsmith & Co. See you soon!"
        );
        // 72 units (the emoji is one unit of 2 UTF-16 code units): 74 code units in UCS-2,
        // over 70, so 2 segments of up to 67.
        assert_eq!((r.encoding, r.segments), (Encoding::Ucs2, 2));
        assert_eq!(r.text.encode_utf16().count(), 74);

        let r = render(&repair("ring"), &ctx("Zoë", "Opal"), None).unwrap();
        assert_eq!((r.encoding, r.segments), (Encoding::Ucs2, 1));
    }

    #[test]
    fn template_errors_say_how_to_fix_them() {
        let n = repair("ring");
        let cases: [(&str, TemplateError, &str); 9] = [
            (
                "Hi {first_name}, pay at {link}",
                TemplateError::PlaceholderNotSupplied {
                    kind: "repair-ready",
                    name: "link".into(),
                },
                "The repair-ready template uses {link}, which a repair-ready notice doesn't \
                 have. Use {first_name}, {store} or {item}.",
            ),
            (
                "Hi {colour}",
                TemplateError::UnknownPlaceholder {
                    kind: "repair-ready",
                    name: "colour".into(),
                },
                "The repair-ready template uses {colour}, which isn't a placeholder. Use \
                 {first_name}, {store} or {item}.",
            ),
            (
                "Hi {First_Name}",
                TemplateError::UnknownPlaceholder {
                    kind: "repair-ready",
                    name: "First_Name".into(),
                },
                "The repair-ready template uses {First_Name}, which isn't a placeholder. Use \
                 {first_name}, {store} or {item}.",
            ),
            (
                "Hi {first name}",
                TemplateError::UnknownPlaceholder {
                    kind: "repair-ready",
                    name: "first name".into(),
                },
                "The repair-ready template uses {first name}, which isn't a placeholder. Use \
                 {first_name}, {store} or {item}. To show a brace itself, write {{ or }}.",
            ),
            (
                "Set {} here",
                TemplateError::UnknownPlaceholder {
                    kind: "repair-ready",
                    name: String::new(),
                },
                "The repair-ready template uses {}, which isn't a placeholder. Use \
                 {first_name}, {store} or {item}. To show a brace itself, write {{ or }}.",
            ),
            (
                "Hi {first_name, your {item} is ready",
                TemplateError::UnclosedBrace {
                    kind: "repair-ready",
                    start: "first_name".into(),
                },
                "The repair-ready template has {first_name without a closing }. Add the }, or \
                 write {{ to show a brace itself.",
            ),
            (
                "Ready { ",
                TemplateError::UnclosedBrace {
                    kind: "repair-ready",
                    start: String::new(),
                },
                "The repair-ready template has a { that is never closed. Close the placeholder \
                 with }, as in {first_name}, or write {{ to show a brace itself.",
            ),
            (
                "Hi {first_name}} :}",
                TemplateError::StrayClosingBrace {
                    kind: "repair-ready",
                },
                "The repair-ready template has a } with no { before it. Remove it, or write }} \
                 to show a brace itself.",
            ),
            (
                "{item} is ready at {store}",
                TemplateError::EmptyValue {
                    kind: "repair-ready",
                    name: "store".into(),
                },
                "The repair-ready template uses {store}, but the store name is empty. Fill it \
                 in, or take {store} out of the template.",
            ),
        ];
        let no_store = ctx("Maria", " ");
        for (template, error, text) in cases {
            assert_eq!(err(&n, &no_store, template), error, "{template}");
            assert_eq!(error.to_string(), text);
        }

        // Each placeholder's value is named in plain words when it is empty.
        for (notice, placeholder, words) in [
            (Notice::RepairReady { item: " ".into() }, "item", "the item"),
            (
                Notice::PaymentLink {
                    url: "https://pay.example.com/x".into(),
                    amount: "".into(),
                },
                "amount",
                "the amount",
            ),
            (
                Notice::PaymentLink {
                    url: "".into(),
                    amount: "$5".into(),
                },
                "link",
                "the payment link",
            ),
            (
                Notice::AppointmentReminder { time: "".into() },
                "time",
                "the appointment time",
            ),
        ] {
            let e = render(&notice, &ctx("Maria", "Opal"), None).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!(
                    "The {kind} template uses {{{placeholder}}}, but {words} is empty. Fill it \
                     in, or take {{{placeholder}}} out of the template.",
                    kind = notice.kind()
                )
            );
        }

        // Empty first name, with the built-in template; other kinds list their own names.
        let e = render(&n, &ctx("", "Opal"), None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "The repair-ready template uses {first_name}, but the customer's first name is \
             empty. Fill it in, or take {first_name} out of the template."
        );
        let pay = Notice::PaymentLink {
            url: String::new(),
            amount: "$5".into(),
        };
        assert_eq!(
            render(&pay, &maria(), None).unwrap_err().to_string(),
            "The payment-link template uses {link}, but the payment link is empty. Fill it in, \
             or take {link} out of the template."
        );
        assert_eq!(
            err(&pay, &maria(), "{item}").to_string(),
            "The payment-link template uses {item}, which a payment-link notice doesn't have. \
             Use {first_name}, {store}, {link} or {amount}."
        );
        let visit = Notice::AppointmentReminder { time: "4pm".into() };
        assert_eq!(
            err(&visit, &maria(), "{amount}").to_string(),
            "The appointment-reminder template uses {amount}, which an appointment-reminder \
             notice doesn't have. Use {first_name}, {store} or {time}."
        );
    }

    #[test]
    fn too_long() {
        let long = repair(&"a".repeat(1600));
        let e = render(&long, &maria(), None).unwrap_err();
        assert_eq!(
            e,
            TemplateError::TooLong {
                kind: "repair-ready",
                chars: 1668
            }
        );
        assert_eq!(
            e.to_string(),
            "The repair-ready text would be 1668 characters long; Twilio accepts at most 1600. \
             Shorten the template or the values it fills in."
        );
        // Exactly 1600 characters is accepted (emoji count as one character each).
        let r = render(&repair(&"💎".repeat(1596)), &maria(), Some("{item}!!!!")).unwrap();
        assert_eq!(r.text.chars().count(), 1600);
        assert_eq!(r.encoding, Encoding::Ucs2);
    }

    #[test]
    fn idempotency_keys() {
        assert_eq!(
            idempotency_key("repair-ready", "1234").unwrap(),
            "repair-ready:1234"
        );
        assert_eq!(
            idempotency_key("payment-link", "inv:77 / 2").unwrap(),
            "payment-link:inv:77 / 2"
        );
        let id = "x".repeat(MAX_EVENT_ID_CHARS);
        assert_eq!(
            idempotency_key("appointment-reminder", &id).unwrap(),
            format!("appointment-reminder:{id}")
        );
        let cases = [
            (
                "repair-ready",
                "",
                "The repair-ready notice has no event ID. Pass the ID of the event that \
                 triggered it, so the text is sent only once.",
            ),
            (
                "custom-order-arrived",
                "12\n34",
                "The custom-order-arrived notice's event ID contains a control character (such \
                 as a line break). Pass the event's ID as plain text.",
            ),
            (
                "payment-link",
                &"é".repeat(201),
                "The payment-link notice's event ID is 201 characters long; at most 200 are \
                 allowed. Pass the event's own short ID.",
            ),
            (
                "Repair-Ready",
                "1",
                "There is no \"Repair-Ready\" notice. Use repair-ready, custom-order-arrived, \
                 payment-link or appointment-reminder.",
            ),
        ];
        for (kind, id, text) in cases {
            let e = idempotency_key(kind, id).unwrap_err();
            assert_eq!(e.to_string(), text);
        }
        assert_eq!(
            idempotency_key("repair-ready", "\u{7f}"),
            Err(TemplateError::EventIdControlCharacter {
                kind: "repair-ready"
            })
        );
    }

    #[test]
    fn pacer_queues_a_burst() {
        let mut p = Pacer::new(1);
        assert_eq!([0, 0, 0].map(|t| p.delay_for(t, 1)), [0, 1000, 2000]);

        // A rate of 0 is a rate of 1.
        let mut p = Pacer::new(0);
        assert_eq!(p, Pacer::new(1));
        assert_eq!([p.delay_for(0, 1), p.delay_for(0, 0)], [0, 1000]);

        // 3 segments with 2 in the bucket: the third accrues in 500 ms.
        let mut p = Pacer::new(2);
        assert_eq!(p.delay_for(0, 3), 500);
        // The bucket was emptied at 500 ms: the next segment is due at 1000 ms.
        assert_eq!(p.delay_for(600, 1), 400);

        // Burst capacity is one second's budget.
        let mut p = Pacer::new(10);
        let delays: Vec<u64> = (0..12).map(|_| p.delay_for(0, 1)).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200]);

        // Rounding up: 3 seg/s spaces segments 333.3 ms apart.
        let mut p = Pacer::new(3);
        let delays: Vec<u64> = (0..5).map(|_| p.delay_for(0, 1)).collect();
        assert_eq!(delays, [0, 0, 0, 334, 667]);
    }

    #[test]
    fn pacer_refills_over_time() {
        let mut p = Pacer::new(1);
        assert_eq!([0, 0, 0].map(|t| p.delay_for(t, 1)), [0, 1000, 2000]);
        // The queue drains by 3000 ms; the bucket is full again by 4000 ms.
        assert_eq!(p.delay_for(4000, 1), 0);
        assert_eq!(p.delay_for(4000, 1), 1000);

        // Partial refill: 2 seg/s, bucket emptied at 0, one segment back after 500 ms.
        let mut p = Pacer::new(2);
        assert_eq!([p.delay_for(0, 1), p.delay_for(0, 1)], [0, 0]);
        assert_eq!(p.delay_for(250, 1), 250);
        assert_eq!(p.delay_for(10_000, 2), 0);

        // A long idle time does not bank more than one second.
        let mut p = Pacer::new(5);
        let later: Vec<u64> = (0..7).map(|_| p.delay_for(60_000, 1)).collect();
        assert_eq!(later, [0, 0, 0, 0, 0, 200, 400]);

        // Extremes neither panic nor wrap.
        let mut p = Pacer::new(u32::MAX);
        assert_eq!(p.delay_for(u64::MAX, u32::MAX), 0);
        let mut p = Pacer::new(1);
        assert_eq!(
            p.delay_for(u64::MAX, u32::MAX),
            u64::from(u32::MAX - 1) * 1000
        );
        // A clock that goes backwards waits for the queue rather than skipping it.
        assert_eq!(p.delay_for(0, 1), u64::MAX);
    }

    fn template_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "{",
                "}",
                "{{",
                "}}",
                "{first_name}",
                "{store}",
                "{item}",
                "{link}",
                "{amount}",
                "{time}",
                "{nope}",
                "{}",
                "a",
                " ",
                "💍",
                "€",
            ])
            .prop_map(String::from),
            any::<String>(),
        ]
    }

    fn any_notice() -> impl Strategy<Value = Notice> {
        let s = || ".{0,12}";
        prop_oneof![
            s().prop_map(|item| Notice::RepairReady { item }),
            s().prop_map(|item| Notice::CustomOrderArrived { item }),
            (s(), s()).prop_map(|(url, amount)| Notice::PaymentLink { url, amount }),
            s().prop_map(|time| Notice::AppointmentReminder { time }),
        ]
    }

    proptest! {
        #[test]
        fn render_never_panics(
            pieces in proptest::collection::vec(template_piece(), 0..12),
            notice in any_notice(),
            first in ".{0,12}",
            store in ".{0,12}",
        ) {
            let template = pieces.concat();
            let context = ctx(&first, &store);
            match render(&notice, &context, Some(&template)) {
                Ok(r) => {
                    prop_assert!(r.text.chars().count() <= MAX_BODY_CHARS);
                    let info = segments::count(&r.text);
                    prop_assert_eq!((r.segments, r.encoding), (info.segments, info.encoding));
                    if !template.contains(['{', '}']) && !template.trim().is_empty() {
                        prop_assert_eq!(&r.text, &template);
                    }
                }
                Err(e) => prop_assert!(e.to_string().contains(notice.kind())),
            }
        }

        #[test]
        fn values_are_inserted_verbatim(first in any::<String>(), store in any::<String>()) {
            let context = ctx(&first, &store);
            let r = render(&repair("x"), &context, Some("{first_name}{{}}{store}"));
            if first.trim().is_empty() || store.trim().is_empty() {
                prop_assert!(r.is_err());
            } else {
                prop_assert_eq!(r.unwrap().text, format!("{first}{{}}{store}"));
            }
        }

        #[test]
        fn burst_delays_never_decrease(
            rate in 0u32..50,
            now in any::<u64>(),
            sizes in proptest::collection::vec(0u32..12, 1..40),
        ) {
            let mut p = Pacer::new(rate);
            let mut last = 0;
            for segments in sizes {
                let d = p.delay_for(now, segments);
                prop_assert!(d >= last);
                last = d;
            }
        }
    }
}
