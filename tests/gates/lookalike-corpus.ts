/**
 * Hostile look-alike corpus for the gates: PII, secrets and blocked phrases written with fullwidth forms, digits of
 * other scripts, mathematical alphanumerics, homoglyphs, invisible characters, combining marks and odd whitespace.
 * Every entry must be matched over its WHOLE raw span.
 */
import type { PiiDetector } from "../../src/gates/mod.ts";

/** ASCII → fullwidth (U+FF01–FF5E); a space becomes the ideographic space U+3000. */
export const fullwidth = (s: string): string =>
  s.replace(/[!-~ ]/g, (c) => c === " " ? "\u3000" : String.fromCharCode(c.charCodeAt(0) + 0xfee0));

/** ASCII digits → the digits of another script, given its zero (U+0660 Arabic-Indic, U+06F0 Persian, U+0966 Devanagari…). */
export const digitsOf = (s: string, zero: number): string =>
  s.replace(/[0-9]/g, (d) => String.fromCodePoint(zero + Number(d)));

/** Letters and digits → mathematical alphanumerics (astral: every one is a surrogate pair). */
export function math(s: string, style: "bold" | "italic" | "script" | "double" | "mono" | "sansBold"): string {
  const upper = { bold: 0x1d400, italic: 0x1d434, script: 0x1d49c, double: 0x1d538, mono: 0x1d670, sansBold: 0x1d5d4 }[style];
  const digit = { bold: 0x1d7ce, italic: 0x1d7ce, script: 0x1d7ce, double: 0x1d7d8, mono: 0x1d7f6, sansBold: 0x1d7ec }[style];
  // Holes in the Unicode blocks: these letters live in the Letterlike Symbols block instead.
  const holes: Record<number, number> = {
    [0x1d455]: 0x210e, [0x1d49d]: 0x212c, [0x1d4a0]: 0x2130, [0x1d4a1]: 0x2131, [0x1d4a3]: 0x210b, [0x1d4a4]: 0x2110,
    [0x1d4a7]: 0x2112, [0x1d4a8]: 0x2133, [0x1d4ad]: 0x211b, [0x1d4ba]: 0x212f, [0x1d4bc]: 0x210a, [0x1d4c4]: 0x2134,
    [0x1d53a]: 0x2102, [0x1d53f]: 0x210d, [0x1d545]: 0x2115, [0x1d547]: 0x2119, [0x1d548]: 0x211a, [0x1d549]: 0x211d,
    [0x1d551]: 0x2124,
  };
  return s.replace(/[A-Za-z0-9]/g, (c) => {
    const code = c.charCodeAt(0);
    const cp = code <= 57 ? digit + code - 48 : code <= 90 ? upper + code - 65 : upper + 26 + code - 97;
    return String.fromCodePoint(holes[cp] ?? cp);
  });
}

const CYRILLIC: Record<string, string> = {
  a: "а", c: "с", e: "е", o: "о", p: "р", x: "х", y: "у", i: "і", j: "ј", s: "ѕ", h: "һ", d: "ԁ", k: "к",
  A: "А", B: "В", C: "С", E: "Е", H: "Н", K: "К", M: "М", O: "О", P: "Р", T: "Т", X: "Х", Y: "У", I: "І", J: "Ј", S: "Ѕ",
};
const GREEK: Record<string, string> = {
  A: "Α", B: "Β", E: "Ε", Z: "Ζ", H: "Η", I: "Ι", K: "Κ", M: "Μ", N: "Ν", O: "Ο", P: "Ρ", T: "Τ", Y: "Υ", X: "Χ",
  o: "ο", k: "κ", v: "ν", a: "α", i: "ι", u: "υ", p: "ρ",
};
/** Latin letters → Cyrillic look-alikes where one exists. */
export const cyrillic = (s: string): string => s.replace(/[A-Za-z]/g, (c) => CYRILLIC[c] ?? c);
/** Latin letters → Greek look-alikes where one exists. */
export const greek = (s: string): string => s.replace(/[A-Za-z]/g, (c) => GREEK[c] ?? c);
/** `mark` after every character (a combining mark, a variation selector…). */
export const marked = (s: string, mark: string): string => Array.from(s).map((c) => c + mark).join("");
/** `between` inside every gap of `s` (zero-width characters, soft hyphens…). */
export const spread = (s: string, between: string): string => Array.from(s).join(between);

const ZWSP = "\u200b", ZWNJ = "\u200c", ZWJ = "\u200d", WJ = "\u2060", SHY = "\u00ad", BOM = "\ufeff", NBSP = "\u00a0";
const STRIKE = "\u0336", ACUTE = "\u0301", VS16 = "\ufe0f", TAG_A = "\u{E0041}", RLO = "\u202e", LRI = "\u2066";
const ARABIC = 0x660, PERSIAN = 0x6f0, DEVANAGARI = 0x966, BENGALI = 0x9e6, THAI = 0xe50;

/** Look-alike forms of one real value per detector: [label, raw text]. */
export const LOOKALIKE_PII: Partial<Record<PiiDetector, [string, string][]>> = {
  email: [
    ["zero-width joiners", `john${ZWJ}.doe@exam${ZWJ}ple.com`],
    ["zero-width space, non-joiner, word joiner, BOM", `jo${ZWSP}hn${ZWNJ}.d${WJ}oe@exa${BOM}mple.com`],
    ["combining mark in the local part", `jo${ACUTE}hn.doe@example.com`],
    ["strike-through marks on every letter", marked("john.doe@example.com", STRIKE)],
    ["Cyrillic о in the local part", "jоhn.dоe@example.com"],
    ["Cyrillic look-alikes everywhere", cyrillic("john.doe@example.com")],
    ["Greek look-alikes", greek("john.doe@example.com")],
    ["fullwidth @", "john.doe＠example.com"],
    ["fullwidth everything", fullwidth("john.doe@example.com")],
    ["small commercial at", "john.doe\ufe6bexample.com"],
    ["math bold local part", `${math("john", "bold")}.doe@example.com`],
    ["math monospace everything", math("john", "mono") + "." + math("doe", "mono") + "@" + math("example", "mono") + "." + math("com", "mono")],
    ["soft hyphens", `jo${SHY}hn@exam${SHY}ple.com`],
    ["ideographic full stop in the domain", "john@example。com"],
    ["bidi controls", `jo${RLO}hn@example${LRI}.com`],
    ["variation selectors", marked("john", VS16) + "@example.com"],
    ["tag characters (astral ignorables)", `jo${TAG_A}hn@exa${TAG_A}mple.com`],
    ["accented letters", "jóhn.döe@exämple.com"],
    ["mixed: fullwidth, zero-width, Cyrillic", `ｊ${ZWSP}оhn＠ex${SHY}аmple．com`],
  ],
  phone: [
    ["fullwidth", fullwidth("+1 (555) 123-4567")],
    ["NBSP separators", `+44${NBSP}20${NBSP}7946${NBSP}0958`],
    ["narrow NBSP and figure space", "+44\u202f20\u20077946\u202f0958"],
    ["Arabic-Indic digits", digitsOf("+1 (555) 123-4567", ARABIC)],
    ["Persian digits", digitsOf("+44 20 7946 0958", PERSIAN)],
    ["Devanagari digits", digitsOf("020 7946 0958", DEVANAGARI)],
    ["non-breaking hyphens", "555\u2011123\u20114567"],
    ["en dashes", "555\u2013123\u20134567"],
    ["minus signs", "555\u2212123\u22124567"],
    ["zero-width space inside a group", `555-12${ZWSP}3-4567`],
    ["math bold digits", math("555-123-4567", "bold")],
    ["fullwidth parentheses", "（555）123-4567"],
    ["combining marks", marked("555-123-4567", ACUTE)],
    ["double spaces", "01  23  45  67  89"],
  ],
  payment_card: [
    ["mixed separators", "4111-1111 1111.1111"],
    ["dots", "4111.1111.1111.1111"],
    ["zero-width spaces", spread("4111111111111111", ZWSP)],
    ["zero-width spaces between groups", `4111${ZWSP}1111${ZWSP}1111${ZWSP}1111`],
    ["fullwidth digits", fullwidth("4111111111111111")],
    ["fullwidth digits, ideographic spaces", fullwidth("4111 1111 1111 1111")],
    ["fullwidth dashes", fullwidth("5500-0000-0000-0004")],
    ["NBSP", `4111${NBSP}1111${NBSP}1111${NBSP}1111`],
    ["narrow NBSP", "4111\u202f1111\u202f1111\u202f1111"],
    ["Arabic-Indic digits", digitsOf("4111111111111111", ARABIC)],
    ["Persian digits in groups", digitsOf("4111 1111 1111 1111", PERSIAN)],
    ["Bengali digits", digitsOf("6011000990139424", BENGALI)],
    ["Thai digits", digitsOf("4111111111111111", THAI)],
    ["math bold digits (surrogate pairs)", math("4111 1111 1111 1111", "bold")],
    ["math double-struck digits", math("4111111111111111", "double")],
    ["en dashes", "5500\u20130000\u20130000\u20130004"],
    ["soft hyphens", spread("4111111111111111", SHY)],
    ["strike-through marks", marked("4111 1111 1111 1111", STRIKE)],
    ["variation selectors", marked("4111111111111111", VS16)],
    ["Amex with NBSP and a dash", `3782${NBSP}822463-10005`],
    ["double spaces", "4111  1111  1111  1111"],
    ["mixed scripts", `４１١١ 1111 ۱۱${ZWSP}۱۱\u00a0𝟏𝟏𝟏𝟏`],
  ],
  iban: [
    ["NBSP groups", "DE89 3704 0044 0532 0130 00".replace(/ /g, NBSP)],
    ["fullwidth", fullwidth("GB82WEST12345698765432")],
    ["Cyrillic Е in the bank code", "GB82WЕST12345698765432"],
    ["Greek Ε and Τ", "GB82WΕΣΤ12345698765432".replace("Σ", "S")],
    ["zero-width spaces", `GB82${ZWSP}WEST1234${ZWSP}5698765432`],
    ["Arabic-Indic digits", digitsOf("DE89 3704 0044 0532 0130 00", ARABIC)],
    ["Greek Μ", "FR14 2004 1010 0505 0001 3Μ02 606"],
    ["soft hyphens", spread("DE89370400440532013000", SHY)],
    ["math sans-bold", math("GB82WEST12345698765432", "sansBold")],
  ],
  us_ssn: [
    ["fullwidth dashes", "123－45－6789"],
    ["fullwidth everything", fullwidth("123-45-6789")],
    ["en dashes", "123\u201345\u20136789"],
    ["minus signs", "123\u221245\u22126789"],
    ["hyphens (U+2010)", "078\u201005\u20101120"],
    ["non-breaking hyphens", "078\u201105\u20111120"],
    ["small hyphen-minus", "123\ufe6345\ufe636789"],
    ["NBSP", `123${NBSP}45${NBSP}6789`],
    ["Arabic-Indic digits", digitsOf("123-45-6789", ARABIC)],
    ["zero-width space", `123-${ZWSP}45-6789`],
    ["combining marks", marked("123-45-6789", ACUTE)],
    ["math bold digits", math("123-45-6789", "bold")],
    ["Devanagari digits, em dashes", digitsOf("123\u201445\u20146789", DEVANAGARI)],
  ],
  ipv4: [
    ["fullwidth", fullwidth("192.168.1.100")],
    ["ideographic full stops", "192。168。1。100"],
    ["halfwidth ideographic full stops", "192｡168｡1｡100"],
    ["one dot leaders", "192\u2024168\u20241\u2024100"],
    ["Arabic-Indic digits", digitsOf("192.168.1.100", ARABIC)],
    ["zero-width space", `192.168${ZWSP}.1.100`],
    ["math bold digits", math("10.0.0.1", "bold")],
    ["combining marks", marked("10.0.0.1", STRIKE)],
  ],
  ipv6: [
    ["fullwidth", fullwidth("2001:db8::8a2e:370:7334")],
    ["zero-width joiners", spread("fe80::1", ZWJ)],
  ],
  aws_access_key: [
    ["fullwidth", fullwidth("AKIAIOSFODNN7EXAMPLE")],
    ["Cyrillic А К І", "АКІАIOSFODNN7EXAMPLE"],
    ["Greek look-alikes", greek("AKIAIOSFODNN7EXAMPLE")],
    ["zero-width spaces", spread("AKIAIOSFODNN7EXAMPLE", ZWSP)],
    ["math bold", math("AKIAIOSFODNN7EXAMPLE", "bold")],
  ],
  github_token: [
    ["fullwidth", fullwidth("ghp_" + "A1b2C3d4E5".repeat(3) + "abcdef")],
    ["zero-width spaces", spread("ghp_" + "A1b2C3d4E5".repeat(3) + "abcdef", ZWSP)],
    ["soft hyphens", `gh${SHY}p_A1b2C3d4E5A1b2C3${SHY}d4E5A1b2C3d4E5abcdef`],
  ],
  slack_token: [
    ["fullwidth dashes", "xoxb－123456789012－abcdefABCDEF"],
    ["Cyrillic х and о", "хохb-123456789012-abcdefABCDEF"],
    ["zero-width joiners", spread("xoxb-123456789012-abcdefABCDEF", ZWJ)],
  ],
  jwt: [
    ["zero-width spaces", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
      .replace(/(.{10})/g, `$1${ZWSP}`)],
    ["fullwidth full stops", "eyJhbGciOiJIUzI1NiJ9．eyJzdWIiOiIxMjM0NTY3ODkwIn0．SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"],
  ],
  bearer_token: [
    ["NBSP", `Bearer${NBSP}0123456789abcdefXYZ`],
    ["fullwidth", fullwidth("Bearer 0123456789abcdefXYZ")],
    ["Cyrillic В е а", "Веаrer 0123456789abcdefXYZ"],
    ["zero-width spaces in the token", `Bearer 0123${ZWSP}4567${ZWSP}89abcdefXYZ`],
  ],
  private_key: [
    ["fullwidth dashes, CRLF", "－－－－－BEGIN RSA PRIVATE KEY－－－－－\r\nMIIEowIBAAKCAQEAx4\r\nq3Zl+9/w==\r\n－－－－－END RSA PRIVATE KEY－－－－－"],
    ["headers and blank lines", "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: DES-EDE3-CBC,FB05F4B1E0C0AC02\n\nMIIEow\nq3Zl+9/w==\n-----END RSA PRIVATE KEY-----"],
    ["trailing spaces before line breaks", "-----BEGIN PRIVATE KEY-----  \n MIIBVgIBADANBg  \n\tkqhkiG9w0BAQEF \r\n-----END PRIVATE KEY-----"],
    ["zero-width spaces and Cyrillic letters", `-----BEGIN ${cyrillic("OPENSSH")} PRIVATE KEY-----\nb3Bl${ZWSP}bnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----`],
  ],
};

/** Blocked phrases (`kill`, `build a bomb`, `synthesize nerve agent`, `café`) written to slip past a raw matcher. */
export const LOOKALIKE_PHRASES: [string, string][] = [
  ["double space", "build  a bomb"],
  ["tab and spaces", "build \t a   bomb"],
  ["newline", "build\na bomb"],
  ["CRLF", "build\r\na\r\nbomb"],
  ["space then newline", "build \n a bomb"],
  ["line separator", "build\u2028a bomb"],
  ["NBSP", `build${NBSP}a${NBSP}bomb`],
  ["ideographic space", "build\u3000a\u3000bomb"],
  ["zero-width space", `bo${ZWSP}mb`.replace("bo", "build a bo")],
  ["zero-width spaces in a word", spread("kill", ZWSP)],
  ["zero-width joiner", `ki${ZWJ}ll`],
  ["word joiner and BOM", `k${WJ}il${BOM}l`],
  ["soft hyphen", `kil${SHY}l`],
  ["soft hyphens everywhere", spread("synthesize", SHY) + " nerve agent"],
  ["Cyrillic і", "kіll"],
  ["Cyrillic everywhere", cyrillic("build a bomb")],
  ["Greek κ", "κill"],
  ["Greek capitals", "ΚΙLL"],
  ["Cyrillic, upper case", "ВUILD А ВОМВ"],
  ["fullwidth", "ｋｉｌｌ"],
  ["fullwidth with ideographic spaces", fullwidth("BUILD A BOMB")],
  ["math bold", math("kill", "bold")],
  ["math italic", math("kill", "italic")],
  ["math script", math("kill", "script")],
  ["math double-struck", math("kill", "double")],
  ["math monospace phrase", math("synthesize", "mono") + " " + math("nerve", "mono") + " " + math("agent", "mono")],
  ["circled letters", "ⓚⓘⓛⓛ"],
  ["combining strike-through", marked("kill", STRIKE)],
  ["combining accents", `ki${ACUTE}ll`],
  ["zalgo", marked("kill", "\u0300\u0301\u0302\u0303\u0304")],
  ["precomposed accents", "kíll"],
  ["variation selectors", marked("kill", VS16)],
  ["tag characters", `ki${TAG_A}ll`],
  ["bidi override", `k${RLO}ill`],
  ["decomposed é", "cafe\u0301"],
  ["no accent", "cafe"],
  ["upper-case accent", "CAFÉ"],
  ["mixed attack", `ｂｕｉｌｄ${ZWSP}  а${NBSP}\nbоm${SHY}b`],
];

/** Text that must pass untouched through the default output rules (no PII, no phrase). */
export const INNOCENT_TEXT: [string, string][] = [
  ["accented words", "Crème brûlée, naïve café au lait, señor, smörgåsbord, Zürich, Ærøskøbing, Straße."],
  ["Russian text", "Привет! Как дела? Сегодня хорошая погода, мы пойдём в парк в 10 часов. Это сор, а не кот."],
  ["Russian numbers", "Номер дома 15, квартира 204, этаж 3; цена 1500 рублей."],
  ["Arabic text with Arabic-Indic numbers", "في عام ٢٠٢٤ زار ١٢٣ شخصا المتحف، وسعر التذكرة ٤٥ ريالا."],
  ["Arabic date and room number", "الموعد ١٥/٠١/٢٠٢٤ في الغرفة ٣٠٤، الطابق ٣."],
  ["Persian digits", "سال ۱۴۰۳ و ۲۵ نفر"],
  ["Greek text", "Καλημέρα κόσμε, τι κάνεις; Η ώρα είναι 10:30."],
  ["Hindi with Devanagari digits", "२०२४ में १२ लोग आए।"],
  ["Japanese fullwidth price", "価格は１２３４円です。電話は後で。"],
  ["Chinese with ideographic spaces", "你好　世界。今天是２０２４年１月１５日。"],
  ["fullwidth version and date", "ｖ１．２．３ ２０２４－０１－１５"],
  ["emoji ZWJ sequences", "family 👩\u200d👩\u200d👧\u200d👦 and flag 🏳\ufe0f\u200d🌈 done"],
  ["combining marks on ordinary words", "Zalgo t\u0301e\u0302x\u0303t is just text"],
  ["words containing a blocked word", "skill killer ѕkіll 𝐬𝐤𝐢𝐥𝐥 Kilauea bombastic"],
  ["short fullwidth numbers", "Ｔａｂｌｅ １２ ｒｏｗ ３４５"],
];
