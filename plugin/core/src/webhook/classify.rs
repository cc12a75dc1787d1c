//! What a customer's reply asks for: to stop texts, to start them again, help, or something a
//! person should read.
//!
//! Twilio acts on its own only when the whole reply is one of its keywords ("STOP"). Since the
//! FCC's 2024 rule a customer may revoke consent "by any reasonable means", so "please stop
//! texting me" is a revocation too, and the store must honour it. [`classify`] reads a reply
//! against one table of rules, `RULES`, in table order; the first rule that matches decides.
//!
//! Each rule is read over the reply's words, after one pass that lowercases the text, folds
//! accents (`é` → `e`, `ñ` → `n`), drops apostrophes (`don’t` → `dont`), spells `#` as
//! "number", turns other punctuation and emoji into spaces, and spells out contractions and
//! texting shorthand (`don't`, `dont` and `do not` all read `do not`; `pls` reads `please`,
//! `txt` `text`, `optout` `opt out`; see `SPELLED_OUT`).
//!
//! Spanish replies are read too. "PARAR", "ALTO", "BASTA" and "BAJA" alone are opt-out
//! keywords: as the whole reply to a store's text they can only mean stop, and they are a
//! reasonable means that Twilio does not act on. "CANCELAR" alone is a possible opt-out, like
//! "cancel please", because it answers an appointment reminder as often as it revokes.
//!
//! The table has five groups, in this order:
//!
//! | group | what a match does |
//! |---|---|
//! | `except(..)` | hides the words it matched from every rule below it: an ordinary use of a word ("stop by", "don't stop", "cancel my appointment") |
//! | `keyword(..)` | the whole reply is the keyword ("STOP", "stop!!", "🛑 Stop") |
//! | `phrase(OptOut, ..)` | the reply revokes consent somewhere in it ("please stop texting me") |
//! | `phrase(OptIn or Help, ..)` | the reply asks for texts again ("start texting me again") or for help |
//! | `phrase(PossibleOptOut, ..)` | the reply might revoke; a person reads it ("STOP. Who is this?") |
//!
//! So an exception outranks everything, a revocation outranks an opt-in in the same reply, and
//! the unsure rules only see what no sure rule claimed. A keyword covers the whole reply, so it
//! never competes with a phrase.
//!
//! A rule's pattern is a list of steps matched one after another, anywhere in the reply:
//!
//! | step | matches |
//! |---|---|
//! | `Word(&["stop", "quit"])` | one word from the list; `"unsub*"` is any word starting with `unsub` |
//! | `Maybe(&["please"])` | one word from the list, or nothing |
//! | `Gap(2)` | up to 2 words of anything |
//! | `Start`, `End` | the start or the end of the reply |
//! | `Unless(&["texting"])` | nothing, when the next word is none of these |
//! | `NotAfter(&["not"])` | nothing, when the previous word is none of these |
//!
//! To add a rule: write one line in the right group, give it a unique name (`except:…`,
//! `keyword:…`, `phrase:…`), spell its words the way the normalised text does (lowercase, no
//! accents, no apostrophes, contractions spelled out: `do not`, never `dont`), and add a line to
//! the labelled corpus (`tests/data/replies.tsv`) that it decides. The tests check the spelling,
//! the groups' order, that every rule decides at least one corpus line, and the corpus's exact
//! results.
//!
//! Nothing here panics. A reply is normalised once, and then the table is scanned; the only
//! allocations are the normalised text and its list of words.

use std::fmt;

/// What a customer's reply asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Intent {
    /// The customer revoked consent: no more texts to this number. The store must honour it
    /// within 10 business days and may send one confirmation text.
    OptOut,
    /// The customer asked for texts again.
    OptIn,
    /// The customer asked for help, or who is texting: the answer is the HELP text (the
    /// store's name, how to opt out, a contact).
    Help,
    /// The reply might revoke consent, but the rules can't tell ("STOP. Who is this?", "wrong
    /// number"). A person should read it; texts are not blocked meanwhile.
    PossibleOptOut,
}

/// How the reply matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Match {
    /// The whole reply is one of the keywords, possibly with punctuation, emoji or whitespace
    /// around it ("STOP", "stop!!", "🛑 STOP").
    Keyword,
    /// A phrase rule matched ("please stop texting me").
    Phrase,
}

/// What a reply asks for, and which rule said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classification {
    /// What the reply asks for.
    pub intent: Intent,
    /// Whether a keyword or a phrase matched.
    pub by: Match,
    /// The rule's name from the table, e.g. "keyword:STOP" or "phrase:stop-texting", for staff
    /// and logs.
    pub rule: &'static str,
    /// True only when Twilio acted on the reply itself: the reply, trimmed of whitespace, is
    /// exactly one of Twilio's default keywords in any case (Twilio: "only single-word messages
    /// trigger the block"; STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, START,
    /// YES, UNSTOP, HELP, INFO). The plugin sends its own confirmation text only when this is
    /// false.
    pub handled_by_twilio: bool,
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Intent::OptOut => "opt-out",
            Intent::OptIn => "opt-in",
            Intent::Help => "help",
            Intent::PossibleOptOut => "possible-opt-out",
        })
    }
}

/// What a reply asks for, or none for an ordinary reply ("Is my ring ready?").
///
/// The first rule of `RULES` that matches decides. Any text is accepted; bodies longer than
/// Twilio's 1,600 characters are read the same way.
pub fn classify(body: &str) -> Option<Classification> {
    evaluate(body, None)
}

/// Twilio's default keywords: a reply that is exactly one of them (trimmed, any case) is
/// answered and acted on by Twilio itself.
const TWILIO_KEYWORDS: [&str; 13] = [
    "STOP",
    "STOPALL",
    "UNSUBSCRIBE",
    "CANCEL",
    "END",
    "QUIT",
    "REVOKE",
    "OPTOUT",
    "START",
    "YES",
    "UNSTOP",
    "HELP",
    "INFO",
];

/// One step of a rule's pattern; see the module's table.
#[derive(Debug, Clone, Copy)]
enum Step {
    /// One word from the list (`"text*"`: any word starting with `text`).
    Word(&'static [&'static str]),
    /// One word from the list, or nothing.
    Maybe(&'static [&'static str]),
    /// Up to this many words of anything.
    Gap(u8),
    /// The start of the reply.
    Start,
    /// The end of the reply.
    End,
    /// Matches nothing, and only when the next word (hidden or not) is none of these.
    Unless(&'static [&'static str]),
    /// Matches nothing, and only when the previous word (hidden or not) is none of these.
    NotAfter(&'static [&'static str]),
}

/// What a rule does when it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An ordinary use of a word: the matched words are hidden from the rules after it.
    Except,
    /// The whole reply is this keyword.
    Keyword(Intent),
    /// The reply contains this phrase.
    Phrase(Intent),
}

/// One line of the table: a name, what a match means, and the pattern.
#[derive(Debug, Clone, Copy)]
struct Rule {
    /// The rule's unique name (`except:…`, `keyword:…`, `phrase:…`), reported in
    /// `Classification::rule`.
    name: &'static str,
    /// What a match does.
    kind: Kind,
    /// The steps, matched one after another.
    pattern: &'static [Step],
}

/// A rule for an ordinary use of a word.
const fn except(name: &'static str, pattern: &'static [Step]) -> Rule {
    Rule {
        name,
        kind: Kind::Except,
        pattern,
    }
}

/// A rule for a reply that is one keyword (its pattern must cover the whole reply).
const fn keyword(name: &'static str, intent: Intent, pattern: &'static [Step]) -> Rule {
    Rule {
        name,
        kind: Kind::Keyword(intent),
        pattern,
    }
}

/// A rule for a phrase anywhere in the reply.
const fn phrase(name: &'static str, intent: Intent, pattern: &'static [Step]) -> Rule {
    Rule {
        name,
        kind: Kind::Phrase(intent),
        pattern,
    }
}

use Intent::{Help, OptIn, OptOut, PossibleOptOut};
use Step::{End, Gap, Maybe, NotAfter, Start, Unless, Word};

/// Verbs for stopping.
const STOP: &[&str] = &["stop", "quit", "cease", "halt"];

/// What a store does that a customer wants stopped ("stop texting").
const TEXTING: &[&str] = &[
    "texting",
    "messaging",
    "contacting",
    "calling",
    "spamming",
    "bothering",
    "harassing",
    "pestering",
    "bugging",
    "reaching",
];

/// The texts themselves, in the plural ("stop the texts"). The singular "text" and "message"
/// are verbs as often as nouns, so they are left out.
const TEXTS: &[&str] = &[
    "texts",
    "texting",
    "messages",
    "messaging",
    "sms",
    "notifications",
    "alerts",
    "reminders",
    "updates",
    "promos",
    "promotions",
    "ads",
    "advertisements",
    "offers",
    "deals",
    "coupons",
    "marketing",
    "spam",
    "junk",
    "subscription",
    "subscriptions",
    "communication",
    "communications",
    "calls",
];

/// What a customer asks to be taken off ("your list", "the texts").
const LISTS: &[&str] = &[
    "list",
    "lists",
    "texts",
    "messages",
    "texting",
    "text",
    "sms",
    "marketing",
    "contacts",
    "database",
    "chat",
    "thread",
];

/// Spanish verbs for sending or writing, as a customer asks a store to stop them.
const ES_SEND: &[&str] = &[
    "envien",
    "envie",
    "envies",
    "enviar",
    "manden",
    "mande",
    "mandes",
    "mandar",
    "escriban",
    "escriba",
    "escribas",
    "escribir",
    "texteen",
    "textees",
    "textear",
    "contacten",
    "contacte",
];

/// Spanish words for the texts themselves.
const ES_TEXTS: &[&str] = &[
    "mensaje",
    "mensajes",
    "texto",
    "textos",
    "sms",
    "promociones",
    "publicidad",
    "notificaciones",
    "ofertas",
];

/// A store's dealings with a customer: what "cancel" and "stop" most often apply to instead of
/// the texts.
const DEALINGS: &[&str] = &[
    "order",
    "orders",
    "appointment",
    "appointments",
    "appt",
    "repair",
    "engraving",
    "payment",
    "payments",
    "resizing",
    "sizing",
    "charge",
    "transaction",
    "layaway",
    "shipment",
    "delivery",
    "reservation",
    "hold",
    "purchase",
    "return",
    "refund",
    "pickup",
    "cleaning",
    "fee",
    "cita",
    "pedido",
    "orden",
];

/// "the", "my" and the like.
const DETERMINERS: &[&str] = &[
    "the", "my", "this", "that", "our", "his", "her", "these", "your", "all", "those", "mi", "la",
    "el",
];

/// Words that come after a bare "stop" ("stop it", "stop now please").
const AFTER_STOP: &[&str] = &[
    "please",
    "now",
    "already",
    "it",
    "this",
    "that",
    "them",
    "sending",
    "texting",
    "me",
    "thanks",
    "thank",
    "you",
    "immediately",
    "asap",
    "stop",
    "ok",
    "okay",
    "seriously",
    "again",
    "right",
    "away",
    "for",
    "good",
    "no",
    "more",
];

/// Words that come before a bare "stop" ("please just stop", "ok stop").
const BEFORE_STOP: &[&str] = &[
    "please",
    "just",
    "ok",
    "okay",
    "so",
    "can",
    "could",
    "you",
    "no",
    "stop",
    "omg",
    "seriously",
    "hey",
    "now",
    "thanks",
    "but",
];

/// Negations, for `NotAfter`.
const NOT: &[&str] = &["not", "never"];

/// The rules, in the order they are tried. See the module documentation for how to read and
/// extend them.
const RULES: &[Rule] = &[
    // ---- 1. Exceptions: ordinary uses of the words, hidden from the rules below ----
    // "don't stop, I love it", but not "if you don't stop texting me".
    except(
        "except:do-not-stop",
        &[
            NotAfter(&["you", "they", "if", "yall", "guys"]),
            Word(&["do"]),
            Word(&["not"]),
            Word(&["stop", "quit"]),
        ],
    ),
    // "the ring won't stop sparkling", but not "you won't stop texting me".
    except(
        "except:can-not-stop",
        &[
            Word(&["can", "could", "will", "would"]),
            Word(&["not"]),
            Word(&["stop", "stops"]),
            Unless(TEXTING),
            Unless(&["sending", "with"]),
        ],
    ),
    except(
        "except:stop-by",
        &[
            Word(&["stop"]),
            Word(&["by", "in", "over", "back", "past", "at", "into", "there"]),
        ],
    ),
    except(
        "except:a-stop",
        &[
            Word(&[
                "bus", "last", "first", "next", "quick", "pit", "one", "final", "full",
            ]),
            Word(&["stop"]),
        ],
    ),
    except(
        "except:stop-doing",
        &[
            Word(&["stop", "quit"]),
            Word(&[
                "worrying",
                "playing",
                "joking",
                "kidding",
                "teasing",
                "apologizing",
                "apologising",
                "carrying",
                "selling",
                "making",
                "offering",
                "taking",
                "accepting",
            ]),
        ],
    ),
    except(
        "except:quit-job",
        &[
            Word(&["quit"]),
            Maybe(&["my", "his", "her", "the"]),
            Word(&["job", "work"]),
        ],
    ),
    // "stop the engraving", "stop payment", but not "stop the order updates".
    except(
        "except:stop-the-order",
        &[
            Word(&["stop", "end", "quit"]),
            Maybe(DETERMINERS),
            Word(DEALINGS),
            Unless(TEXTS),
        ],
    ),
    // "cancel my 3pm appointment", but not "cancel my appointment reminders".
    except(
        "except:cancel-the-order",
        &[
            Word(&["cancel", "cancelar", "cancela", "cancelen"]),
            Maybe(DETERMINERS),
            Gap(1),
            Word(DEALINGS),
            Unless(TEXTS),
        ],
    ),
    except(
        "except:wait-list",
        &[
            Word(&["wait", "waiting", "wish", "gift", "registry"]),
            Word(&["list"]),
        ],
    ),
    except(
        "except:opt-out-of-extras",
        &[
            Word(&["opt", "opting", "opted"]),
            Maybe(&["me", "us"]),
            Word(&["out"]),
            Word(&["of"]),
            Gap(2),
            Word(&[
                "warranty",
                "insurance",
                "protection",
                "plan",
                "engraving",
                "appraisal",
                "wrapping",
                "cleaning",
            ]),
        ],
    ),
    // "don't text me until it's ready", but not "until further notice".
    except(
        "except:do-not-text-until",
        &[
            Word(&["not"]),
            Word(&["text", "message", "call", "contact"]),
            Maybe(&["me", "us"]),
            Word(&["until", "till", "til", "unless"]),
            Unless(&["further"]),
        ],
    ),
    // "remove me from the order", "take me off the appointment", but not "remove me from
    // your texts".
    except(
        "except:remove-me-from-the-order",
        &[
            Word(&["remove", "take", "drop"]),
            Word(&["me", "us"]),
            Word(&["from", "off"]),
            Maybe(DETERMINERS),
            Word(DEALINGS),
            Unless(TEXTS),
            Unless(&["updates", "update", "list", "contacts"]),
        ],
    ),
    // "I can't stop texting my friends about this ring", but not "you can't stop texting me".
    except(
        "except:can-not-stop-telling",
        &[
            Word(&["i", "we"]),
            Word(&["can", "could"]),
            Word(&["not"]),
            Word(&["stop"]),
            Word(&["texting", "telling", "talking", "showing"]),
            Word(&[
                "my",
                "everyone",
                "everybody",
                "people",
                "all",
                "about",
                "friends",
            ]),
        ],
    ),
    except(
        "except:spam-folder",
        &[
            Word(&["spam", "junk"]),
            Word(&["folder", "filter", "box", "mail", "email"]),
        ],
    ),
    // ---- 2. Keywords: the whole reply is one ----
    // Twilio's opt-out keywords.
    keyword("keyword:STOP", OptOut, &[Word(&["stop"])]),
    keyword("keyword:STOPALL", OptOut, &[Word(&["stopall"])]),
    keyword("keyword:UNSUBSCRIBE", OptOut, &[Word(&["unsubscribe"])]),
    keyword("keyword:CANCEL", OptOut, &[Word(&["cancel"])]),
    keyword("keyword:END", OptOut, &[Word(&["end"])]),
    keyword("keyword:QUIT", OptOut, &[Word(&["quit"])]),
    keyword("keyword:REVOKE", OptOut, &[Word(&["revoke"])]),
    // OPTOUT, OPT OUT and opt-out all read as "opt out".
    keyword("keyword:OPTOUT", OptOut, &[Word(&["opt"]), Word(&["out"])]),
    // Spanish words for stop, alone: a reasonable means of revoking that Twilio doesn't know.
    keyword("keyword:PARAR", OptOut, &[Word(&["parar"])]),
    keyword("keyword:ALTO", OptOut, &[Word(&["alto"])]),
    keyword("keyword:BASTA", OptOut, &[Word(&["basta"])]),
    keyword("keyword:BAJA", OptOut, &[Word(&["baja"])]),
    // "Cancelar" alone answers an appointment reminder as often as it revokes.
    keyword("keyword:CANCELAR", PossibleOptOut, &[Word(&["cancelar"])]),
    keyword("keyword:START", OptIn, &[Word(&["start"])]),
    keyword("keyword:YES", OptIn, &[Word(&["yes"])]),
    keyword("keyword:UNSTOP", OptIn, &[Word(&["unstop"])]),
    keyword("keyword:HELP", Help, &[Word(&["help"])]),
    keyword("keyword:INFO", Help, &[Word(&["info"])]),
    keyword("keyword:AYUDA", Help, &[Word(&["ayuda"])]),
    // ---- 3. Phrases that revoke consent ----
    phrase(
        "phrase:stop-texting",
        OptOut,
        &[Word(STOP), Gap(1), Word(TEXTING)],
    ),
    phrase(
        "phrase:stop-the-texts",
        OptOut,
        &[Word(STOP), Gap(3), Word(TEXTS)],
    ),
    phrase(
        "phrase:stop-sending-these",
        OptOut,
        &[
            Word(STOP),
            Word(&["sending", "send"]),
            Maybe(&["me", "us"]),
            Word(&[
                "these", "those", "them", "stuff", "things", "junk", "crap", "anything", "more",
            ]),
        ],
    ),
    phrase(
        "phrase:cancel-the-texts",
        OptOut,
        &[
            Word(&["end", "cancel"]),
            Maybe(DETERMINERS),
            Gap(1),
            Word(TEXTS),
        ],
    ),
    // The whole reply is a stop with polite or angry words around it: "please stop", "STOP NOW".
    phrase(
        "phrase:stop-please",
        OptOut,
        &[
            Start,
            Maybe(BEFORE_STOP),
            Maybe(BEFORE_STOP),
            Maybe(BEFORE_STOP),
            Word(&[
                "stop",
                "quit",
                "stopall",
                "unsubscribe",
                "revoke",
                "cease",
                "remove",
            ]),
            Maybe(AFTER_STOP),
            Maybe(AFTER_STOP),
            Maybe(AFTER_STOP),
            End,
        ],
    ),
    // A reply that starts with "please stop" or "stop please" asks, whatever follows.
    phrase(
        "phrase:please-stop-first",
        OptOut,
        &[
            Start,
            Maybe(&["ok", "okay", "hey", "no", "just"]),
            Word(&["please"]),
            Maybe(&["just"]),
            Word(&["stop", "quit"]),
        ],
    ),
    phrase(
        "phrase:stop-please-first",
        OptOut,
        &[Start, Word(&["stop", "quit"]), Word(&["please"])],
    ),
    phrase(
        "phrase:you-need-to-stop",
        OptOut,
        &[
            Word(&["you", "yall"]),
            Gap(1),
            Word(&["need", "needs", "have", "got", "gotta"]),
            Maybe(&["to"]),
            Word(&["stop", "quit"]),
        ],
    ),
    phrase(
        "phrase:stop-stop",
        OptOut,
        &[Word(&["stop"]), Word(&["stop"])],
    ),
    phrase(
        "phrase:stop-not-interested",
        OptOut,
        &[
            Word(&["stop", "quit", "unsubscribe", "remove"]),
            Gap(4),
            Word(&["not"]),
            Word(&["interested"]),
        ],
    ),
    phrase(
        "phrase:not-interested-stop",
        OptOut,
        &[
            Word(&["not"]),
            Word(&["interested"]),
            Gap(3),
            Word(&["stop", "quit", "unsubscribe", "remove"]),
        ],
    ),
    // "I said STOP", "I already asked you to stop".
    phrase(
        "phrase:said-stop",
        OptOut,
        &[
            Word(&[
                "said", "told", "asked", "say", "saying", "tell", "texted", "replied",
            ]),
            Gap(3),
            Word(&["stop", "unsubscribe", "quit", "stopall", "removed"]),
        ],
    ),
    phrase(
        "phrase:stop-these",
        OptOut,
        &[
            Word(&["stop", "quit"]),
            Word(&["these", "them", "those", "getting", "receiving"]),
        ],
    ),
    phrase(
        "phrase:make-it-stop",
        OptOut,
        &[
            Word(&["make"]),
            Word(&["it", "these", "this", "them"]),
            Word(&["stop"]),
        ],
    ),
    // "no more texts", but not "no more than 2 a month".
    phrase(
        "phrase:no-more-texts",
        OptOut,
        &[
            Word(&["no"]),
            Word(&["more", "further"]),
            Unless(&["than"]),
            Gap(2),
            Word(TEXTS),
        ],
    ),
    phrase(
        "phrase:no-texts",
        OptOut,
        &[
            Start,
            Word(&["no"]),
            Maybe(&["text"]),
            Word(TEXTS),
            Maybe(&["please", "thanks", "thank"]),
            Maybe(&["you"]),
            End,
        ],
    ),
    // The whole reply is "no more" ("No more please", "no más").
    phrase(
        "phrase:no-more",
        OptOut,
        &[
            Start,
            Maybe(&["please", "ok", "so"]),
            Word(&["no"]),
            Word(&["more", "mas"]),
            Maybe(&["please", "thanks", "thank", "por"]),
            Maybe(&["you", "favor"]),
            End,
        ],
    ),
    // "don't text me", "do not contact this number"; not "didn't text me" or "don't text my wife".
    phrase(
        "phrase:do-not-text",
        OptOut,
        &[
            Word(&["do", "please"]),
            Word(&["not"]),
            Maybe(&["ever"]),
            Word(&["text", "message", "contact", "sms"]),
            Maybe(&["this", "my"]),
            Word(&["me", "us", "number", "again", "anymore", "ever"]),
        ],
    ),
    phrase(
        "phrase:do-not-send",
        OptOut,
        &[
            Word(&["do"]),
            Word(&["not"]),
            Word(&["send"]),
            Maybe(&["me", "us"]),
            Gap(2),
            Word(TEXTS),
        ],
    ),
    phrase(
        "phrase:never-again",
        OptOut,
        &[
            Word(&["never"]),
            Maybe(&["ever"]),
            Word(&["text", "message", "contact"]),
            Maybe(&["me", "us", "this"]),
            Maybe(&["number"]),
            Word(&["again"]),
        ],
    ),
    // Any form of the word, typos included ("unsubcribe", "unsuscribe").
    phrase(
        "phrase:unsubscribe",
        OptOut,
        &[Word(&["unsub*", "unsus*", "unscribe"])],
    ),
    phrase(
        "phrase:opt-out",
        OptOut,
        &[
            NotAfter(NOT),
            Word(&["opt", "opting", "opted"]),
            Maybe(&["me", "us", "myself"]),
            Word(&["out"]),
        ],
    ),
    phrase(
        "phrase:revoke",
        OptOut,
        &[Word(&[
            "revoke",
            "revoking",
            "revoked",
            "revocation",
            "rescind",
        ])],
    ),
    phrase(
        "phrase:withdraw-consent",
        OptOut,
        &[
            Word(&["withdraw", "withdrawing", "cancel", "remove", "pull"]),
            Gap(2),
            Word(&["consent", "permission", "authorization", "authorisation"]),
        ],
    ),
    // "remove me from your list", "take my number off your texting list".
    phrase(
        "phrase:remove-me-from-list",
        OptOut,
        &[
            Word(&["remove", "take", "delete", "drop", "erase", "get"]),
            Word(&["me", "us", "my", "our", "this"]),
            Gap(2),
            Word(&["off", "from", "out"]),
            Gap(2),
            Word(LISTS),
        ],
    ),
    // "How do I get off this list?", "I want out of these texts".
    phrase(
        "phrase:off-the-list",
        OptOut,
        &[
            Word(&["get", "want", "be"]),
            Maybe(&["me", "us"]),
            Word(&["off", "out"]),
            Maybe(&["of"]),
            Gap(2),
            Word(LISTS),
        ],
    ),
    phrase(
        "phrase:lose-my-number",
        OptOut,
        &[
            Word(&["lose", "forget"]),
            Word(&["my", "this"]),
            Word(&["number"]),
        ],
    ),
    // "I want to be removed from your text list".
    phrase(
        "phrase:removed-from-list",
        OptOut,
        &[
            Word(&["removed", "taken", "deleted", "dropped"]),
            Word(&["off", "from", "out"]),
            Gap(2),
            Word(LISTS),
        ],
    ),
    // "I'd like to be removed", but not "I want the stone to be removed".
    phrase(
        "phrase:want-to-be-removed",
        OptOut,
        &[
            Word(&["want", "like", "wish", "please"]),
            Word(&["to"]),
            Word(&["be"]),
            Word(&["removed", "unsubscribed"]),
        ],
    ),
    // "remove me", but not "remove me as the contact".
    phrase(
        "phrase:remove-me",
        OptOut,
        &[
            Word(&["remove", "delete", "erase"]),
            Word(&["me", "us"]),
            Unless(&["as", "on"]),
        ],
    ),
    phrase(
        "phrase:remove-my-number",
        OptOut,
        &[
            Word(&["remove", "delete", "erase", "drop"]),
            Word(&["my", "this", "our"]),
            Maybe(&["phone", "cell", "mobile"]),
            Word(&["number", "num", "info", "information"]),
        ],
    ),
    phrase(
        "phrase:take-me-off",
        OptOut,
        &[
            Word(&["take", "get"]),
            Word(&["me", "us"]),
            Word(&["off"]),
            Maybe(&["please", "now", "asap", "thanks"]),
            End,
        ],
    ),
    phrase(
        "phrase:take-me-off-the-texts",
        OptOut,
        &[
            Word(&["take", "get", "remove"]),
            Word(&["me", "us"]),
            Word(&["off", "from"]),
            Maybe(DETERMINERS),
            Gap(1),
            Word(&[
                "updates",
                "texts",
                "messages",
                "alerts",
                "reminders",
                "notifications",
            ]),
        ],
    ),
    phrase(
        "phrase:leave-me-alone",
        OptOut,
        &[Word(&["leave"]), Word(&["me", "us"]), Word(&["alone"])],
    ),
    // "I don't want these texts", "I no longer wish to receive text messages".
    phrase(
        "phrase:do-not-want-texts",
        OptOut,
        &[
            Word(&["not", "longer", "never"]),
            Word(&["want", "wish", "need", "like"]),
            Gap(3),
            Maybe(&["any"]),
            Maybe(&["more"]),
            Word(TEXTS),
        ],
    ),
    phrase(
        "phrase:do-not-want-contact",
        OptOut,
        &[
            Word(&["not", "longer", "never"]),
            Word(&["want", "wish"]),
            Gap(2),
            Word(&["contacted", "texted", "messaged", "bothered"]),
        ],
    ),
    // "I don't want to receive these anymore".
    phrase(
        "phrase:do-not-want-these",
        OptOut,
        &[
            Word(&["not", "longer", "never"]),
            Word(&["want", "wish", "need"]),
            Gap(2),
            Word(&["receive", "receiving", "get", "getting"]),
            Word(&["these", "those"]),
        ],
    ),
    phrase(
        "phrase:done-with-texts",
        OptOut,
        &[
            Word(&["done", "finished", "tired", "sick", "enough"]),
            Word(&["with", "of"]),
            Gap(2),
            Word(TEXTS),
        ],
    ),
    // Spanish.
    phrase(
        "phrase:es-no-me-envien",
        OptOut,
        &[
            Word(&["no"]),
            Maybe(&["me", "nos"]),
            Maybe(&["sigan"]),
            Word(ES_SEND),
            Gap(1),
            Word(&["mas"]),
        ],
    ),
    phrase(
        "phrase:es-no-me-envien-mensajes",
        OptOut,
        &[
            Word(&["no"]),
            Maybe(&["me", "nos"]),
            Maybe(&["sigan"]),
            Word(ES_SEND),
            Gap(1),
            Word(ES_TEXTS),
        ],
    ),
    // "Ya no me escriban": "ya no" (no longer) makes the bare verb enough.
    phrase(
        "phrase:es-ya-no-me-escriban",
        OptOut,
        &[
            Word(&["ya"]),
            Word(&["no"]),
            Maybe(&["me", "nos"]),
            Word(ES_SEND),
        ],
    ),
    phrase(
        "phrase:es-no-mas-mensajes",
        OptOut,
        &[Word(&["no"]), Word(&["mas"]), Gap(1), Word(ES_TEXTS)],
    ),
    phrase(
        "phrase:es-no-vuelvan-a-escribir",
        OptOut,
        &[
            Word(&["no"]),
            Maybe(&["me", "nos"]),
            Word(&["vuelvan", "vuelva", "vuelvas"]),
            Word(&["a"]),
            Word(&[
                "escribir",
                "enviar",
                "mandar",
                "textear",
                "contactar",
                "escribirme",
                "mandarme",
                "enviarme",
                "contactarme",
            ]),
        ],
    ),
    phrase(
        "phrase:es-no-quiero-mensajes",
        OptOut,
        &[
            Word(&["no"]),
            Word(&["quiero", "queremos", "deseo", "deseamos", "necesito"]),
            Gap(3),
            Word(ES_TEXTS),
        ],
    ),
    phrase(
        "phrase:es-dejen-de-escribir",
        OptOut,
        &[
            Word(&[
                "dejen", "deja", "dejar", "deje", "paren", "para", "pare", "parar",
            ]),
            Word(&["de"]),
            Word(&[
                "enviarme",
                "enviar",
                "mandarme",
                "mandar",
                "escribirme",
                "escribir",
                "textearme",
                "textear",
                "molestarme",
                "molestar",
                "contactarme",
                "enviarnos",
                "mandarnos",
                "escribirnos",
            ]),
        ],
    ),
    phrase(
        "phrase:es-bajenme-de-la-lista",
        OptOut,
        &[
            Word(&[
                "bajenme",
                "bajame",
                "bajeme",
                "sacame",
                "saquenme",
                "saqueme",
                "quitenme",
                "quitame",
                "quiteme",
                "borrenme",
                "borrame",
                "eliminenme",
                "eliminame",
                "saquen",
                "quiten",
                "borren",
                "eliminen",
                "sacarme",
                "quitarme",
                "borrarme",
                "bajarme",
                "eliminarme",
            ]),
            Gap(4),
            Word(&["lista", "listas"]),
        ],
    ),
    phrase(
        "phrase:es-borren-mi-numero",
        OptOut,
        &[
            Word(&[
                "borren", "borra", "borre", "borrar", "eliminen", "elimina", "elimine", "eliminar",
                "quiten", "quita", "quite",
            ]),
            Word(&["mi", "este"]),
            Word(&["numero", "telefono", "celular"]),
        ],
    ),
    phrase(
        "phrase:es-darme-de-baja",
        OptOut,
        &[
            Word(&[
                "darme", "dame", "denme", "deme", "doy", "dar", "den", "darse", "dese",
            ]),
            Gap(1),
            Word(&["de"]),
            Word(&["baja"]),
        ],
    ),
    phrase(
        "phrase:es-no-molesten",
        OptOut,
        &[
            Word(&["no"]),
            Maybe(&["me", "nos"]),
            Maybe(&["sigan"]),
            Word(&["molesten", "moleste", "molestes", "molestar", "molestando"]),
        ],
    ),
    phrase(
        "phrase:es-ya-basta",
        OptOut,
        &[Word(&["ya"]), Word(&["basta"])],
    ),
    phrase(
        "phrase:es-alto-por-favor",
        OptOut,
        &[
            Start,
            Maybe(&["ya", "por"]),
            Maybe(&["favor"]),
            Word(&["alto", "parar", "paren", "basta", "baja"]),
            Maybe(&["ya", "por"]),
            Maybe(&["favor"]),
            Maybe(&["ya"]),
            End,
        ],
    ),
    // ---- 4. Phrases that ask for texts again, or for help ----
    phrase(
        "phrase:start-texting-me",
        OptIn,
        &[
            NotAfter(NOT),
            Word(&["start", "restart", "resume"]),
            Word(&["texting", "messaging"]),
            Word(&["me", "us"]),
        ],
    ),
    phrase(
        "phrase:start-sending-again",
        OptIn,
        &[
            NotAfter(NOT),
            Word(&["start", "restart", "resume"]),
            Word(&["texting", "messaging", "sending"]),
            Gap(3),
            Word(&["again", "back"]),
        ],
    ),
    phrase(
        "phrase:resume-texts",
        OptIn,
        &[
            Word(&["resume", "restart"]),
            Maybe(&["the", "my", "all"]),
            Maybe(&["text", "sms"]),
            Word(TEXTS),
        ],
    ),
    phrase(
        "phrase:resume-please",
        OptIn,
        &[
            Start,
            Maybe(&["please", "ok", "okay", "you", "can"]),
            Maybe(&["can", "may", "please"]),
            Word(&["resume", "unstop"]),
            Maybe(&["please", "now", "thanks"]),
            End,
        ],
    ),
    phrase("phrase:unstop", OptIn, &[Word(&["unstop"])]),
    phrase(
        "phrase:opt-in",
        OptIn,
        &[
            NotAfter(NOT),
            Word(&["opt", "opting"]),
            Maybe(&["me", "us", "back"]),
            Maybe(&["back"]),
            Word(&["in"]),
        ],
    ),
    phrase(
        "phrase:subscribe-me",
        OptIn,
        &[
            NotAfter(NOT),
            Maybe(&["re"]),
            Word(&["subscribe", "resubscribe"]),
            Word(&["me", "us", "again"]),
        ],
    ),
    phrase(
        "phrase:sign-me-back-up",
        OptIn,
        &[
            Word(&["sign"]),
            Word(&["me", "us"]),
            Word(&["back"]),
            Word(&["up"]),
        ],
    ),
    phrase(
        "phrase:texts-again",
        OptIn,
        &[
            NotAfter(NOT),
            Word(&["get", "receive", "getting", "receiving"]),
            Gap(2),
            Word(TEXTS),
            Word(&["again"]),
        ],
    ),
    phrase(
        "phrase:help-please",
        Help,
        &[
            Start,
            Maybe(&["please", "i", "can", "someone"]),
            Maybe(&["need", "want", "please", "get"]),
            Maybe(&["some"]),
            Word(&["help", "info", "information", "ayuda"]),
            Maybe(&["me", "us", "please", "por"]),
            Maybe(&["please", "favor"]),
            End,
        ],
    ),
    // "Who is this?" alone: the HELP text (the store's name, how to opt out) answers it.
    phrase(
        "phrase:who-is-this",
        Help,
        &[
            Start,
            Word(&["who"]),
            Maybe(&["is", "are"]),
            Word(&["this", "you", "dis"]),
            End,
        ],
    ),
    phrase(
        "phrase:what-are-these-texts",
        Help,
        &[
            Start,
            Word(&["what"]),
            Word(&["is", "are"]),
            Word(&["this", "these"]),
            Word(&["texts", "messages", "number"]),
            End,
        ],
    ),
    phrase(
        "phrase:es-quien-es",
        Help,
        &[Start, Word(&["quien"]), Word(&["es", "eres", "habla"]), End],
    ),
    // ---- 5. Replies that might revoke consent: a person reads them ----
    // A stop word no rule above explained: "STOP. Who is this?", "Stop, I already paid".
    phrase(
        "phrase:stop-word",
        PossibleOptOut,
        &[Word(&["stop", "quit", "stopall", "cease"])],
    ),
    phrase(
        "phrase:wrong-number",
        PossibleOptOut,
        &[
            Word(&["wrong"]),
            Maybe(&["phone", "cell"]),
            Word(&["number", "num", "person", "guy", "girl", "contact"]),
        ],
    ),
    phrase(
        "phrase:es-numero-equivocado",
        PossibleOptOut,
        &[
            Word(&["numero"]),
            Word(&["equivocado", "equivocada", "incorrecto"]),
        ],
    ),
    // "Who is this? I don't shop there", but not "who is this for?".
    phrase(
        "phrase:asks-who",
        PossibleOptOut,
        &[
            Word(&["who"]),
            Maybe(&["is", "are"]),
            Word(&["this", "you", "dis"]),
            Unless(&["for"]),
        ],
    ),
    phrase(
        "phrase:es-asks-who",
        PossibleOptOut,
        &[Word(&["quien"]), Word(&["es", "eres", "habla"])],
    ),
    phrase(
        "phrase:do-not-know-you",
        PossibleOptOut,
        &[
            Word(&["not"]),
            Maybe(&["even"]),
            Word(&["know"]),
            Gap(2),
            Word(&["you", "store", "company", "business", "shop"]),
        ],
    ),
    phrase(
        "phrase:do-i-know-you",
        PossibleOptOut,
        &[Word(&["do"]), Word(&["i"]), Word(&["know"]), Word(&["you"])],
    ),
    phrase(
        "phrase:never-signed-up",
        PossibleOptOut,
        &[Word(NOT), Gap(1), Word(&["signed", "sign"]), Word(&["up"])],
    ),
    phrase(
        "phrase:never-agreed",
        PossibleOptOut,
        &[
            Word(NOT),
            Gap(2),
            Word(&[
                "permission",
                "agreed",
                "agree",
                "consented",
                "consent",
                "subscribed",
                "subscribe",
                "opted",
                "opt",
                "authorized",
                "authorised",
            ]),
        ],
    ),
    phrase(
        "phrase:got-my-number",
        PossibleOptOut,
        &[
            Word(&["get", "got", "gave", "given", "find", "found"]),
            Gap(1),
            Word(&["my", "this"]),
            Word(&["number", "num", "info", "cell"]),
        ],
    ),
    phrase(
        "phrase:not-interested",
        PossibleOptOut,
        &[Word(&["not", "no"]), Word(&["interested", "interest"])],
    ),
    phrase(
        "phrase:es-no-me-interesa",
        PossibleOptOut,
        &[
            Word(&["no"]),
            Maybe(&["me", "nos"]),
            Word(&["interesa", "interesan"]),
        ],
    ),
    phrase(
        "phrase:spam",
        PossibleOptOut,
        &[Word(&[
            "spam", "scam", "spammer", "scammer", "spammers", "scammers",
        ])],
    ),
    // "Cancel please" answers an appointment reminder as often as it revokes.
    phrase(
        "phrase:cancel-please",
        PossibleOptOut,
        &[
            Start,
            Maybe(&["please", "ok", "okay", "yes"]),
            Word(&["cancel", "cancelar"]),
            Maybe(&["it", "that", "this", "please", "por"]),
            Maybe(&["please", "favor", "thanks"]),
            End,
        ],
    ),
    phrase(
        "phrase:why-are-you-texting",
        PossibleOptOut,
        &[
            Word(&["why"]),
            Word(&["are", "do", "does", "is", "keep", "you"]),
            Maybe(&["you", "this", "they", "yall"]),
            Maybe(&["keep", "still"]),
            Word(&[
                "texting",
                "messaging",
                "contacting",
                "sending",
                "text",
                "message",
            ]),
            Word(&["me", "us", "this", "my"]),
        ],
    ),
    phrase(
        "phrase:never-shopped-there",
        PossibleOptOut,
        &[
            Word(NOT),
            Maybe(&["even", "ever"]),
            Word(&["shop", "shopped", "been", "bought"]),
            Word(&["there", "here", "with", "at", "from"]),
        ],
    ),
    phrase(
        "phrase:keep-getting-these",
        PossibleOptOut,
        &[
            Word(&["keep", "keeps"]),
            Word(&["getting", "receiving"]),
            Word(&["these", "this", "texts", "messages", "them"]),
        ],
    ),
];

/// Contractions and texting shorthand, spelled out before the rules read the words (the
/// apostrophe is already gone: "don't" is "dont" here). Rules use the spelled-out words.
const SPELLED_OUT: &[(&str, &[&str])] = &[
    ("dont", &["do", "not"]),
    ("dnt", &["do", "not"]),
    ("doesnt", &["does", "not"]),
    ("didnt", &["did", "not"]),
    ("cant", &["can", "not"]),
    ("cannot", &["can", "not"]),
    ("wont", &["will", "not"]),
    ("wouldnt", &["would", "not"]),
    ("couldnt", &["could", "not"]),
    ("shouldnt", &["should", "not"]),
    ("isnt", &["is", "not"]),
    ("arent", &["are", "not"]),
    ("wasnt", &["was", "not"]),
    ("havent", &["have", "not"]),
    ("im", &["i", "am"]),
    ("ive", &["i", "have"]),
    ("ill", &["i", "will"]),
    ("youre", &["you", "are"]),
    ("whos", &["who", "is"]),
    ("whats", &["what", "is"]),
    ("thats", &["that", "is"]),
    ("u", &["you"]),
    ("ur", &["your"]),
    ("r", &["are"]),
    ("pls", &["please"]),
    ("plz", &["please"]),
    ("plse", &["please"]),
    ("thx", &["thanks"]),
    ("thnx", &["thanks"]),
    ("ty", &["thanks"]),
    ("txt", &["text"]),
    ("txts", &["texts"]),
    ("txting", &["texting"]),
    ("msg", &["message"]),
    ("msgs", &["messages"]),
    ("msging", &["messaging"]),
    ("optout", &["opt", "out"]),
    ("optin", &["opt", "in"]),
    ("msj", &["mensaje"]),
    ("msjs", &["mensajes"]),
    ("porfa", &["por", "favor"]),
    ("xfa", &["por", "favor"]),
];

/// The reply's words, and which of them an exception has hidden.
struct Reply<'a> {
    words: Vec<&'a str>,
    hidden: Vec<bool>,
}

/// Runs the table over `body`; with `trace`, records the name of every rule that matched
/// (exceptions included), in order.
fn evaluate(body: &str, mut trace: Option<&mut Vec<&'static str>>) -> Option<Classification> {
    let text = normalise(body);
    let mut reply = Reply::new(&text);
    for rule in RULES {
        let (intent, by) = match rule.kind {
            Kind::Except => {
                if reply.hide_all(rule.pattern)
                    && let Some(trace) = trace.as_deref_mut()
                {
                    trace.push(rule.name);
                }
                continue;
            }
            Kind::Keyword(intent) => {
                if !reply.is_whole(rule.pattern) {
                    continue;
                }
                (intent, Match::Keyword)
            }
            Kind::Phrase(intent) => {
                if !reply.contains(rule.pattern) {
                    continue;
                }
                (intent, Match::Phrase)
            }
        };
        if let Some(trace) = trace {
            trace.push(rule.name);
        }
        return Some(Classification {
            intent,
            by,
            rule: rule.name,
            handled_by_twilio: handled_by_twilio(body),
        });
    }
    None
}

/// Whether Twilio acts on `body` itself: trimmed, it is one of Twilio's default keywords.
fn handled_by_twilio(body: &str) -> bool {
    let body = body.trim();
    TWILIO_KEYWORDS
        .iter()
        .any(|keyword| keyword.eq_ignore_ascii_case(body))
}

/// `body` lowercased, accents folded, apostrophes dropped, `#` spelled "number", everything
/// else that isn't a letter or a digit turned into a space.
fn normalise(body: &str) -> String {
    let mut text = String::with_capacity(body.len());
    for c in body.chars().flat_map(char::to_lowercase) {
        match fold(c) {
            Folded::Keep(c) => text.push(c),
            Folded::Drop => {}
            Folded::Space => text.push(' '),
            Folded::Spelled(word) => {
                text.push(' ');
                text.push_str(word);
                text.push(' ');
            }
        }
    }
    text
}

/// What one lowercased character becomes.
#[derive(Debug, PartialEq, Eq)]
enum Folded {
    Keep(char),
    Drop,
    Space,
    /// A sign that stands for a word.
    Spelled(&'static str),
}

/// A lowercased character, folded: accented Latin letters to their base letter, apostrophes
/// and combining accents dropped, `#` to the word "number", anything else not a letter or
/// digit to a space.
fn fold(c: char) -> Folded {
    let base = match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ā' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'ē' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'ī' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ō' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'ū' => 'u',
        'ñ' => 'n',
        'ç' => 'c',
        'ý' | 'ÿ' => 'y',
        '\'' | '’' | '‘' | 'ʼ' | '`' | '´' | '′' => return Folded::Drop,
        '\u{300}'..='\u{36f}' => return Folded::Drop,
        // "wrong #", "my # changed".
        '#' => return Folded::Spelled("number"),
        c if c.is_alphanumeric() => c,
        _ => return Folded::Space,
    };
    Folded::Keep(base)
}

/// Whether `word` is one of `alternatives` (an alternative ending in `*` is a prefix).
fn is_one_of(word: &str, alternatives: &[&str]) -> bool {
    alternatives
        .iter()
        .any(|alternative| match alternative.strip_suffix('*') {
            Some(prefix) => word.starts_with(prefix),
            None => *alternative == word,
        })
}

impl<'a> Reply<'a> {
    /// The words of normalised `text`, contractions and shorthand spelled out.
    fn new(text: &'a str) -> Self {
        let mut words = Vec::new();
        for word in text.split(' ').filter(|word| !word.is_empty()) {
            match SPELLED_OUT.iter().find(|(short, _)| *short == word) {
                Some((_, long)) => words.extend_from_slice(long),
                None => words.push(word),
            }
        }
        let hidden = vec![false; words.len()];
        Reply { words, hidden }
    }

    /// The word at `at` when it is one of `alternatives` and not hidden.
    fn visible_is(&self, at: usize, alternatives: &[&str]) -> bool {
        match (self.words.get(at), self.hidden.get(at)) {
            (Some(word), Some(false)) => is_one_of(word, alternatives),
            _ => false,
        }
    }

    /// Where `steps` end when matched from word `at`, trying taken `Maybe`s and shorter gaps
    /// first; with `whole`, only a way through that ends at the end of the reply counts.
    fn match_at(&self, steps: &[Step], at: usize, whole: bool) -> Option<usize> {
        let Some((step, rest)) = steps.split_first() else {
            return (!whole || at == self.words.len()).then_some(at);
        };
        match *step {
            Word(alternatives) => {
                if self.visible_is(at, alternatives) {
                    self.match_at(rest, at + 1, whole)
                } else {
                    None
                }
            }
            Maybe(alternatives) => {
                let taken = if self.visible_is(at, alternatives) {
                    self.match_at(rest, at + 1, whole)
                } else {
                    None
                };
                taken.or_else(|| self.match_at(rest, at, whole))
            }
            Gap(most) => (0..=usize::from(most))
                .map(|skip| at + skip)
                .take_while(|&to| to <= self.words.len())
                .find_map(|to| self.match_at(rest, to, whole)),
            Start => (at == 0).then(|| self.match_at(rest, at, whole)).flatten(),
            End => (at == self.words.len())
                .then(|| self.match_at(rest, at, whole))
                .flatten(),
            Unless(alternatives) => match self.words.get(at) {
                Some(next) if is_one_of(next, alternatives) => None,
                _ => self.match_at(rest, at, whole),
            },
            NotAfter(alternatives) => {
                let previous = at.checked_sub(1).and_then(|i| self.words.get(i));
                match previous {
                    Some(previous) if is_one_of(previous, alternatives) => None,
                    _ => self.match_at(rest, at, whole),
                }
            }
        }
    }

    /// Whether `steps` match somewhere in the reply.
    fn contains(&self, steps: &[Step]) -> bool {
        let last = match steps.first() {
            Some(Start) => 0,
            _ => self.words.len(),
        };
        (0..=last).any(|from| self.match_at(steps, from, false).is_some())
    }

    /// Whether `steps` match the whole reply.
    fn is_whole(&self, steps: &[Step]) -> bool {
        self.match_at(steps, 0, true).is_some()
    }

    /// Hides every non-overlapping match of `steps`; whether there was one.
    fn hide_all(&mut self, steps: &[Step]) -> bool {
        let mut any = false;
        let mut from = 0;
        while from <= self.words.len() {
            match self.match_at(steps, from, false) {
                Some(to) => {
                    any = true;
                    for hidden in self.hidden.iter_mut().take(to).skip(from) {
                        *hidden = true;
                    }
                    from = to.max(from + 1);
                }
                None => from += 1,
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn intent(body: &str) -> Option<Intent> {
        classify(body).map(|c| c.intent)
    }

    // ---- the table ----

    /// The group a rule belongs to; the table must list the groups in this order.
    fn group(kind: Kind) -> u8 {
        match kind {
            Kind::Except => 0,
            Kind::Keyword(_) => 1,
            Kind::Phrase(OptOut) => 2,
            Kind::Phrase(OptIn | Help) => 3,
            Kind::Phrase(PossibleOptOut) => 4,
        }
    }

    #[test]
    fn the_groups_come_in_order() {
        for pair in RULES.windows(2) {
            assert!(
                group(pair[0].kind) <= group(pair[1].kind),
                "{} must come before {}",
                pair[1].name,
                pair[0].name
            );
        }
    }

    #[test]
    fn rule_names_are_unique_and_say_their_kind() {
        for (i, rule) in RULES.iter().enumerate() {
            let prefix = match rule.kind {
                Kind::Except => "except:",
                Kind::Keyword(_) => "keyword:",
                Kind::Phrase(_) => "phrase:",
            };
            assert!(rule.name.starts_with(prefix), "{}", rule.name);
            assert!(
                RULES[..i].iter().all(|other| other.name != rule.name),
                "{} twice",
                rule.name
            );
        }
    }

    #[test]
    fn every_pattern_needs_a_word() {
        for rule in RULES {
            assert!(
                rule.pattern.iter().any(|step| matches!(step, Word(_))),
                "{} matches without a word",
                rule.name
            );
        }
    }

    /// Every word in a rule is spelled as the normalised text spells it, so it can match.
    #[test]
    fn rule_words_are_spelled_like_normalised_text() {
        for rule in RULES {
            for step in rule.pattern {
                let words = match step {
                    Word(words) | Maybe(words) | Unless(words) | NotAfter(words) => *words,
                    Gap(_) | Start | End => continue,
                };
                for word in words {
                    let bare = word.strip_suffix('*').unwrap_or(word);
                    assert!(!bare.is_empty(), "{}: empty word", rule.name);
                    assert_eq!(normalise(bare), bare, "{}: {word:?}", rule.name);
                    assert!(!bare.contains(' '), "{}: {word:?}", rule.name);
                    assert!(
                        SPELLED_OUT.iter().all(|(short, _)| short != &bare),
                        "{}: {word:?} is spelled out before matching",
                        rule.name
                    );
                }
            }
        }
        for (short, long) in SPELLED_OUT {
            assert_eq!(normalise(short), *short);
            for word in *long {
                assert_eq!(normalise(word), *word);
            }
        }
    }

    // ---- normalisation ----

    #[test]
    fn normalising_folds_case_accents_apostrophes_and_punctuation() {
        assert_eq!(
            normalise("No me ENVÍEN más mensajes, ¡ÑO!"),
            "no me envien mas mensajes   no "
        );
        assert_eq!(normalise("Don’t text me 🛑"), "dont text me  ");
        assert_eq!(normalise("opt-out"), "opt out");
        // A decomposed accent (e + U+0301) folds like a composed one.
        assert_eq!(normalise("envi\u{301}en"), "envien");
        let text = normalise("I don't, DONT, do not");
        let reply = Reply::new(&text);
        assert_eq!(
            reply.words,
            ["i", "do", "not", "do", "not", "do", "not"].as_slice()
        );
    }

    // ---- the examples the rules were written for ----

    #[test]
    fn keywords_with_decoration() {
        for (body, expected, rule) in [
            ("STOP", OptOut, "keyword:STOP"),
            ("Stop.", OptOut, "keyword:STOP"),
            ("STOP!!!", OptOut, "keyword:STOP"),
            ("🛑 stop", OptOut, "keyword:STOP"),
            (" quit\n", OptOut, "keyword:QUIT"),
            ("Unsubscribe", OptOut, "keyword:UNSUBSCRIBE"),
            ("cancel", OptOut, "keyword:CANCEL"),
            ("End", OptOut, "keyword:END"),
            ("STOPALL", OptOut, "keyword:STOPALL"),
            ("revoke", OptOut, "keyword:REVOKE"),
            ("OPTOUT", OptOut, "keyword:OPTOUT"),
            ("OPT OUT", OptOut, "keyword:OPTOUT"),
            ("opt-out", OptOut, "keyword:OPTOUT"),
            ("Alto", OptOut, "keyword:ALTO"),
            ("PARAR", OptOut, "keyword:PARAR"),
            ("START", OptIn, "keyword:START"),
            ("Yes!", OptIn, "keyword:YES"),
            ("unstop", OptIn, "keyword:UNSTOP"),
            ("help?", Help, "keyword:HELP"),
            ("INFO", Help, "keyword:INFO"),
            ("Cancelar", PossibleOptOut, "keyword:CANCELAR"),
        ] {
            let got = classify(body);
            assert_eq!(
                got.map(|c| (c.intent, c.by, c.rule)),
                Some((expected, Match::Keyword, rule)),
                "{body:?}"
            );
        }
    }

    #[test]
    fn revoking_phrases_are_opt_outs() {
        for body in [
            "please stop texting me",
            "stop sending me messages",
            "unsubscribe me",
            "remove me from your list",
            "no more texts",
            "don't text me again",
            "don’t text me again",
            "dont text me again",
            "do not text me again",
            "opt me out",
            "take me off your list",
            "leave me alone",
            "no me envíen más mensajes",
            "no me envien mas mensajes",
            "no me manden más mensajes",
            "no me manden mas mensajes",
            "ya no quiero mensajes",
            "dejen de enviarme mensajes",
            "bájenme de la lista",
            "bajenme de la lista",
            "Please STOP texting me!!",
            "Cancel my appointment reminders",
            "You won't stop texting me",
        ] {
            let got = classify(body);
            assert_eq!(
                got.map(|c| (c.intent, c.by)),
                Some((OptOut, Match::Phrase)),
                "{body:?}: {got:?}"
            );
        }
    }

    #[test]
    fn ordinary_uses_of_the_words_are_not_opt_outs() {
        for body in [
            "can I stop by at 5?",
            "don't stop, I love it",
            "is the store open until 9?",
            "end of the week works",
            "cancel my appointment",
            "yes please",
            "I'll stop in tomorrow",
            "the ring won't stop sparkling",
            "when does the sale end?",
            "yes that works",
            "can you help me pick a band?",
            "don't stop texting me, I love the updates",
            "I didn't text you, my wife did",
            "no more than $500 please",
        ] {
            assert_ne!(intent(body), Some(OptOut), "{body:?}");
        }
        assert_eq!(intent("yes that works"), None);
        assert_eq!(intent("yes please"), None);
        assert_eq!(intent("cancel my appointment"), None);
        assert_eq!(intent("can you help me pick a band?"), None);
    }

    #[test]
    fn unsure_replies_go_to_a_person() {
        for body in [
            "STOP. Who is this?",
            "wrong number",
            "who is this, stop",
            "I never signed up for this",
            "Stop, I already paid",
            "Cancel please",
        ] {
            assert_eq!(intent(body), Some(PossibleOptOut), "{body:?}");
        }
    }

    #[test]
    fn revocation_wins_over_opt_in_and_doubt() {
        // Both an opt-out and an opt-in phrase: the opt-out is checked first.
        assert_eq!(
            intent("stop texting me, I'll opt in later if I want"),
            Some(OptOut)
        );
        // An exception elsewhere in the reply does not hide a revocation.
        assert_eq!(
            intent("I'll stop by Friday to pay, but stop texting me"),
            Some(OptOut)
        );
        assert_eq!(intent("Who is this? Stop texting me"), Some(OptOut));
        assert_eq!(intent("start texting me again"), Some(OptIn));
        assert_eq!(intent("please resume"), Some(OptIn));
        assert_eq!(intent("I didn't opt in"), Some(PossibleOptOut));
    }

    #[test]
    fn twilio_handles_only_its_bare_keywords() {
        for body in ["STOP", " stop ", "Revoke", "optout", "Yes", "info\n"] {
            let got = classify(body);
            assert!(got.is_some_and(|c| c.handled_by_twilio), "{body:?}");
        }
        for body in [
            "STOP!",
            "stop please",
            "please stop texting me",
            "opt out",
            "Alto",
        ] {
            let got = classify(body);
            assert!(got.is_some_and(|c| !c.handled_by_twilio), "{body:?}");
        }
    }

    #[test]
    fn rules_are_named_in_the_result() {
        assert_eq!(classify("STOP").map(|c| c.rule), Some("keyword:STOP"));
        assert_eq!(
            classify("please stop texting me").map(|c| c.rule),
            Some("phrase:stop-texting")
        );
        assert_eq!(
            classify("wrong number").map(|c| c.rule),
            Some("phrase:wrong-number")
        );
    }

    #[test]
    fn empty_and_odd_replies_are_ordinary() {
        for body in ["", " ", "!", "🛑", "\u{301}", "'", "''''", "...stop..."] {
            let got = classify(body);
            if body == "...stop..." {
                assert_eq!(got.map(|c| c.rule), Some("keyword:STOP"));
            } else {
                assert_eq!(got, None, "{body:?}");
            }
        }
        // A body far past Twilio's limit is still read.
        let long = format!("{} stop texting me", "ok ".repeat(2000));
        assert_eq!(intent(&long), Some(OptOut));
    }

    // ---- the corpus ----

    const CORPUS: &str = include_str!("../../tests/data/replies.tsv");

    /// The label's intent; none for `none`.
    fn label_intent(label: &str) -> Option<Option<Intent>> {
        Some(match label {
            "opt-out" => Some(OptOut),
            "opt-in" => Some(OptIn),
            "help" => Some(Help),
            "possible-opt-out" => Some(PossibleOptOut),
            "none" => None,
            _ => return None,
        })
    }

    /// The corpus's labelled lines: (line number, label, reply).
    fn corpus() -> Vec<(usize, &'static str, &'static str)> {
        let mut lines = Vec::new();
        for (i, line) in CORPUS.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((label, reply)) = line.split_once('\t') else {
                panic!("line {}: no tab: {line:?}", i + 1);
            };
            assert!(
                label_intent(label).is_some(),
                "line {}: unknown label {label:?}",
                i + 1
            );
            lines.push((i + 1, label, reply));
        }
        lines
    }

    /// Lines the rules get wrong on purpose, as (label, reply, what they say): fixing one is
    /// welcome; then take it off this list.
    const KNOWN_MISMATCHES: &[(&str, &str, &str)] = &[
        // Slang for "wow"; a bare "stop" with words no rule explains goes to a person.
        ("none", "Stop! That's gorgeous 😍", "possible-opt-out"),
        (
            "none",
            "Can you stop the clock from ticking so loud lol, just kidding. Is my watch ready?",
            "possible-opt-out",
        ),
    ];

    #[test]
    fn the_corpus_is_classified_exactly_as_recorded() {
        const LABELS: [&str; 5] = ["opt-out", "opt-in", "help", "possible-opt-out", "none"];
        let lines = corpus();
        let mut counts = [0usize; 5];
        let mut right = [0usize; 5];
        let mut false_positives = Vec::new();
        let mut false_negatives = Vec::new();
        let mut mismatches = Vec::new();
        for &(line, label, reply) in &lines {
            let expected = label_intent(label).flatten();
            let got = intent(reply);
            let index = LABELS.iter().position(|l| *l == label).unwrap_or(0);
            counts[index] += 1;
            if got == expected {
                right[index] += 1;
            } else {
                let said = got.map_or_else(|| "none".to_owned(), |i| i.to_string());
                mismatches.push((label, reply, said));
            }
            if got == Some(OptOut) && expected != Some(OptOut) {
                false_positives.push((line, reply));
            }
            if expected == Some(OptOut) && got != Some(OptOut) {
                false_negatives.push((line, reply, got));
            }
        }
        println!("corpus: {} replies", lines.len());
        for (i, label) in LABELS.iter().enumerate() {
            println!(
                "  {label:<17} {:>3} lines, {:>3} right ({:.1}%)",
                counts[i],
                right[i],
                100.0 * right[i] as f64 / counts[i].max(1) as f64
            );
        }
        println!(
            "  false positive opt-outs (blocked without asking): {}",
            false_positives.len()
        );
        for (line, reply) in &false_positives {
            println!("    line {line}: {reply:?}");
        }
        println!(
            "  false negative opt-outs (missed revocations): {}",
            false_negatives.len()
        );
        for (line, reply, got) in &false_negatives {
            println!("    line {line}: {reply:?} -> {got:?}");
        }
        for (label, reply, said) in &mismatches {
            println!("  mismatch: {label} {reply:?} -> {said}");
        }

        assert_eq!(counts, [187, 23, 15, 37, 252], "lines per label");
        assert_eq!(false_positives.len(), 0, "false positive opt-outs");
        assert_eq!(false_negatives.len(), 0, "false negative opt-outs");
        let mismatches: Vec<(&str, &str, &str)> = mismatches
            .iter()
            .map(|(label, reply, said)| (*label, *reply, said.as_str()))
            .collect();
        assert_eq!(mismatches, KNOWN_MISMATCHES);
    }

    #[test]
    fn every_accent_in_the_fold_reads_as_its_letter() {
        for (accented, base) in [
            ("áàâäãåā", 'a'),
            ("éèêëē", 'e'),
            ("íìîïī", 'i'),
            ("óòôöõō", 'o'),
            ("úùûüū", 'u'),
            ("ñ", 'n'),
            ("ç", 'c'),
            ("ýÿ", 'y'),
        ] {
            for c in accented.chars() {
                assert_eq!(fold(c), Folded::Keep(base), "{c}");
            }
        }
    }

    #[test]
    fn removal_and_stopping_about_something_else_are_not_opt_outs() {
        for reply in [
            "remove me from the order",
            "Take me off the appointment please",
            "I can't stop texting my friends about this ring",
        ] {
            assert_ne!(intent(reply), Some(OptOut), "{reply:?}");
        }
        for reply in [
            "remove me from your texts",
            "you can't stop texting me?? stop",
            "take me off the order updates",
        ] {
            assert_eq!(intent(reply), Some(OptOut), "{reply:?}");
        }
    }

    #[test]
    fn every_rule_decides_a_corpus_line() {
        let mut used: Vec<&'static str> = Vec::new();
        for (_, _, reply) in corpus() {
            let mut trace = Vec::new();
            evaluate(reply, Some(&mut trace));
            used.extend(trace);
        }
        let unused: Vec<&str> = RULES
            .iter()
            .map(|rule| rule.name)
            .filter(|name| !used.contains(name))
            .collect();
        assert_eq!(unused, Vec::<&str>::new(), "rules no corpus line uses");
    }

    // ---- properties ----

    /// Words the rules care about, to build replies that reach deep into the table.
    fn vocabulary() -> impl Strategy<Value = String> {
        proptest::sample::select(vec![
            "stop",
            "STOP",
            "texting",
            "me",
            "by",
            "don't",
            "dont",
            "not",
            "no",
            "more",
            "texts",
            "cancel",
            "my",
            "appointment",
            "please",
            "opt",
            "out",
            "in",
            "who",
            "is",
            "this",
            "wrong",
            "number",
            "yes",
            "start",
            "help",
            "envíen",
            "más",
            "mensajes",
            "lista",
            "again",
            "until",
            "’",
            "🛑",
            "!",
            "-",
        ])
        .prop_map(str::to_owned)
    }

    proptest! {
        #[test]
        fn any_text_is_classified_without_panicking(body in any::<String>()) {
            let _ = classify(&body);
        }

        #[test]
        fn ascii_case_does_not_matter(body in prop_oneof![
            any::<String>(),
            proptest::collection::vec(vocabulary(), 0..8).prop_map(|words| words.join(" ")),
        ]) {
            let got = classify(&body);
            prop_assert_eq!(classify(&body.to_ascii_uppercase()), got);
            prop_assert_eq!(classify(&body.to_ascii_lowercase()), got);
        }

        #[test]
        fn punctuation_between_words_does_not_matter(
            words in proptest::collection::vec(vocabulary(), 2..8),
            mark in proptest::sample::select(vec![", ", "! ", " 🛑 ", "?? ", " - "]),
        ) {
            prop_assert_eq!(classify(&words.join(mark)), classify(&words.join(" ")));
        }
    }
}
