/**
 * Word lists of the person-name scanner, looked up by the same running hashes as the lexicon (name-bloom.ts):
 * titles, context phrases (before a name), particles (inside one) and capitalised words that are never part of one.
 */
import { HASH_START_A, HASH_START_B, stepA, stepB } from "./name-bloom.ts";

/** Title before a name (`Dr. Ada Lovelace`, `Herr Müller`, `Mme Dupont`), lower case, letters only. */
const TITLES = `mr mrs ms miss mx dr prof sir dame lady lord rev fr herr frau mme mlle monsieur madame mademoiselle sr sra
  srta senor senora senorita dona sig sigra signor signora signorina dott dottssa dottoressa avv dhr mevr mevrouw
  meneer pan pani capt col sgt lt judge`;
/**
 * Phrases after which a capitalised word is a name on its own (`my name is Ada`, `Dear Ada`, `je m'appelle Ada`), and
 * field labels (`full_name`, `firstName`, `Vorname`: joiners and `_` do not split a word's hash).
 */
const STRONG_CONTEXT = `my name is|name is|i am|im|call me|named|dear|signed|sincerely|regards|yours truly|mappelle|je mappelle
  |ich heisse|ich heiße|name ist|me llamo|nombre es|mi chiamo|chiamo|nome e|cher|chere|lieber|liebe|estimado|estimada
  |querido|querida|cordialement|atentamente|cordiali saluti|mit freundlichen grussen|grussen|saluti|full name|account holder
  |fullname|firstname|lastname|givenname|familyname|surname|displayname|customername|contactname|holdername
  |vorname|nachname|prenom|nom de famille|cognome|voornaam|achternaam|nombre completo|nome completo
  |cardholder|card holder|beneficiary|spoke with|spoke to|talked to|my dad|my mom|my mum|my father|my mother|my wife
  |my husband|my son|my daughter|my brother|my sister|my friend|my colleague|my boss|my manager|new hire|hi|hello|hey`;
/** Phrases after which a capitalised word is a name if it is listed or followed by a second one (`Hi Ada`, `from Ada`). */
const WEAK_CONTEXT = `thanks|thank you|cheers|best|from|by|for|cc|attn|per|via|invite|meet|talk to|speak to|write to|reply to|send to
  |contact|ask|ask for|told|met|patient|customer
  |client|employee|applicant|name|bonjour|salut|hola|ciao|hallo|ola|merci|danke|grazie|gracias|obrigado|obrigada|avec|mit|con`;
/**
 * Verbs of speaking and writing right after a lone listed first name make it a person (`Lars said`, `Priya wrote`):
 * only verbs that are not also nouns (`notes`, `reports` are left out), in English and a few other languages, unaccented.
 */
const SPEECH_VERBS = `said says asked asks told tells wrote writes replied replies answered added explained explains mentioned
  noted confirmed confirms agreed agrees suggested suggests thinks thought believes wants wanted emailed texted messaged
  recalled insisted admitted argued laughed smiled nodded whispered shouted complained promised warned
  sagte meinte schrieb fragte antwortete dijo disse scrisse chiese rispose zei schreef vroeg antwoordde`;
/** Lower-case words inside a name (`Ludwig van Beethoven`, `Maria de la Cruz`). */
const PARTICLES = "van von de da di del della der den des du la le dos das do bin ibn al el ten ter zu y";
/**
 * Capitalised words that end a name or never start one: street and organisation words, places, days and months,
 * sentence openers that are also given names in the lexicon, job titles (`Customer Success Manager`) and Spanish
 * street types (`Bajada Leticia Meza 80` is an address).
 */
const STOPS = `street st avenue ave road rd lane ln drive boulevard blvd court ct place pl square sq way parkway highway
  hwy terrace crescent close park plaza bridge river lake mount mountain beach island islands valley county city state
  states university college school academy institute hospital clinic center centre church bank group inc llc ltd corp
  corporation company co gmbh ag sa sarl srl spa bv plc foundation association society club team department ministry
  office agency council committee airport station hotel restaurant cafe bar museum gallery theatre theater market mall
  store shop services solutions systems technologies tech labs software partners capital holdings international global
  national federal general united republic kingdom north south east west new san santa los las el la le monday tuesday
  wednesday thursday friday saturday sunday january february march april june july august september october november
  december christmas easter god jesus lord allah buddha america american europe european asia african africa english
  french german spanish italian chinese japanese indian british canadian australian alabama alaska arizona arkansas
  california colorado connecticut delaware florida georgia hawaii idaho illinois indiana iowa kansas kentucky louisiana
  maine maryland massachusetts michigan minnesota mississippi missouri montana nebraska nevada hampshire jersey mexico
  york carolina dakota ohio oklahoma oregon pennsylvania rhode tennessee texas utah vermont virginia washington
  wisconsin wyoming london paris berlin madrid rome tokyo sydney toronto chicago boston dallas houston austin denver
  phoenix seattle atlanta miami detroit brooklyn manhattan canada china india japan france germany spain italy brazil
  russia ireland scotland wales england australia zealand africa israel egypt turkey poland sweden norway denmark
  finland netherlands belgium switzerland austria portugal greece amazon google apple microsoft tesla windows linux
  python java android iphone ios excel word office teams slack zoom chrome safari firefox github docker kubernetes
  the this that these those our your my his her their its if when while in on at for and but or so as of to we you
  they he she it what why how who where which all any each every some no not yes today tomorrow yesterday please
  manager agent representative director engineer officer specialist coordinator assistant consultant analyst
  supervisor administrator executive liaison developer designer architect producer strategist planner technician
  facilitator orchestrator associate intern award prize day hall trail version bros brothers
  calle avenida paseo plaza camino carretera glorieta travesia urbanizacion acceso aldea apartamento autopista autovia
  bajada barrio bloque canada caserio chalet conjunto costanilla edificio entrada escalinata explanada jardines masia
  muelle paraje parque partida pasadizo poblado poligono prolongacion rambla rampa riera salida seccion senda subida
  terrenos however also meanwhile finally again therefore instead otherwise besides moreover furthermore anyway
  honestly sadly luckily unfortunately fortunately okay ok well sure first second then next now here there saint
  sainte sankt`;

/** Lookup key of a lower-case word: hash A, with hash B as a check against the rare A collision. */
function key(word: string): [number, number] {
  let a = HASH_START_A, b = HASH_START_B;
  for (let i = 0; i < word.length; i++) { a = stepA(a, word.charCodeAt(i)); b = stepB(b, word.charCodeAt(i)); }
  return [a, b];
}

/** A set of single words keyed by their running hashes. */
export class WordSet {
  private readonly byA = new Map<number, number>();
  /** Letters in the longest listed word. */
  readonly longest: number = 0;
  constructor(words: string) {
    for (const w of words.split(/\s+/).filter((x) => x.length > 0)) {
      if (w.length > this.longest) this.longest = w.length;
      const [a, b] = key(w);
      this.byA.set(a, b);
    }
  }

  /** True if the word with running hashes `a`, `b` is listed. */
  has(a: number, b: number): boolean {
    return this.byA.get(a) === b;
  }
}

/** Context phrases: each a sequence of word hashes (A only; phrases are short and checked as a whole). */
export class PhraseSet {
  private readonly phrases: number[][];
  constructor(phrases: string) {
    this.phrases = phrases.split("|").map((p) => p.trim().split(/\s+/).map((w) => key(w)[0]));
  }

  /** True if the last words (`recent[count - 1]` the latest) end with a listed phrase. */
  endsWith(recent: Int32Array, count: number): boolean {
    outer: for (const p of this.phrases) {
      if (p.length > count) continue;
      for (let k = 0; k < p.length; k++) if (recent[count - p.length + k] !== p[k]) continue outer;
      return true;
    }
    return false;
  }
}

/** The compiled lists (built on first use of the name detector). */
export interface NameWords {
  readonly titles: WordSet;
  readonly particles: WordSet;
  readonly stops: WordSet;
  readonly strong: PhraseSet;
  readonly weak: PhraseSet;
  /** One-word context phrases: such a word is never part of a name itself. */
  readonly contextWords: WordSet;
  /** Verbs after a lone first name (see SPEECH_VERBS). */
  readonly speech: WordSet;
}

let words: NameWords | undefined;

/** The lists, compiled once per process. */
export function nameWords(): NameWords {
  words ??= {
    titles: new WordSet(TITLES), particles: new WordSet(PARTICLES), stops: new WordSet(STOPS),
    strong: new PhraseSet(STRONG_CONTEXT), weak: new PhraseSet(WEAK_CONTEXT),
    contextWords: new WordSet([STRONG_CONTEXT, WEAK_CONTEXT].join("|").split("|").map((p) => p.trim()).filter((p) => !p.includes(" ")).join(" ")),
    speech: new WordSet(SPEECH_VERBS),
  };
  return words;
}
