/**
 * Street addresses in the forms people write them (folded view: accents are gone, so `Straße` reads `Straße`,
 * `Allée` reads `Allee`):
 *  - number first, US/UK suffix last: `221B Baker Street`, `7258 S Chestnut St. Apt 140, Springfield, IL 62704`;
 *  - number first, street type next (FR/PT/BR): `72 Boulevard de Seine`, `12 rue de la Paix`, `605 Travessa Maria`;
 *  - street type first, number last (IT/ES/PT/PL): `Via Roma 10`, `Calle Mayor, 5`, `ul. Marszalkowska 10/2`;
 *  - a compound or two-word street name, number last (DE/NL/SE): `Hauptstraße 5`, `Berliner Str. 12`, `Kerkstraat 3`;
 * each with an optional unit (`Apt 4B`, `Suite 415`, `#12`, `Flat 3,` before the number) and an optional
 * city/postcode tail (`, Springfield, IL 62704`, `, 10115 Berlin`, `, London SW1A 1AA`).
 * No check digit exists: the street words are the evidence, so bare `12 Main` is not an address.
 */
import type { DetectorSpec } from "./detectors.ts";
import { ADDRESS_PROGRAM_JSON } from "./address-program.ts";
import { PikeScanner } from "../regex/pike.ts";
import type { Program } from "../regex/program.ts";
import { decodeProgram, type EncodedProgram } from "../regex/serial.ts";

/** `Rue` → `[Rr]ue`: street words are capitalised or not depending on the language and the writer. */
const anyCase = (words: string): string =>
  `(?:${words.split(" ").map((w) => `[${w[0]!.toUpperCase()}${w[0]!.toLowerCase()}]${w.slice(1).replace(".", "\\.")}`).join("|")})`;

/** USPS street suffixes (Publication 28, the full list of primary names) and common abbreviations, capitalised. */
const US_SUFFIX = `(?:${[
  "Street", "St", "Streets", "Avenue", "Ave", "Av", "Road", "Rd", "Roads", "Boulevard", "Blvd", "Lane", "Ln", "Drive", "Dr",
  "Court", "Ct", "Courts", "Place", "Pl", "Square", "Sq", "Terrace", "Ter", "Way", "Ways", "Parkway", "Pkwy", "Highway",
  "Hwy", "Circle", "Cir", "Trail", "Trl", "Crescent", "Cres", "Close", "Alley", "Aly", "Loop", "Row", "Walk", "Plaza",
  "Park", "Point", "Pt", "Pike", "Route", "Rte", "Run", "Path", "Ridge", "Hill", "Hills", "Grove", "Gardens", "Garden",
  "Mews", "Heights", "Hts", "View", "Views", "Crossing", "Xing", "Creek", "Cove", "Canyon", "Bend", "Bluff", "Brook",
  "Brooks", "Bridge", "Causeway", "Center", "Centre", "Common", "Commons", "Corner", "Corners", "Crest", "Curve", "Dale",
  "Estate", "Estates", "Expressway", "Expy", "Extension", "Ext", "Falls", "Ferry", "Field", "Fields", "Flat", "Flats",
  "Ford", "Forest", "Forge", "Forges", "Fork", "Forks", "Fort", "Freeway", "Fwy", "Gateway", "Glen", "Glens", "Green",
  "Greens", "Harbor", "Harbour", "Haven", "Hollow", "Inlet", "Island", "Isle", "Junction", "Key", "Keys", "Knoll",
  "Knolls", "Lake", "Lakes", "Landing", "Light", "Lights", "Lodge", "Manor", "Manors", "Meadow", "Meadows", "Mill",
  "Mills", "Mission", "Motorway", "Mount", "Mountain", "Mountains", "Neck", "Orchard", "Oval", "Pass", "Passage",
  "Pines", "Plain", "Plains", "Points", "Port", "Ports", "Prairie", "Ranch", "Rapids", "Rest", "Ridges", "River",
  "Shoal", "Shoals", "Shore", "Shores", "Skyway", "Spring", "Springs", "Spur", "Squares", "Station", "Stravenue",
  "Stream", "Summit", "Throughway", "Trace", "Track", "Trafficway", "Tunnel", "Turnpike", "Underpass", "Union", "Unions",
  "Valley", "Valleys", "Viaduct", "Village", "Villages", "Ville", "Vista", "Walks", "Wall", "Well", "Wells", "Wynd",
  "Garth", "Gate", "Yard", "Yards", "Quay", "Rise", "Vale", "Wharf", "Chase", "Croft", "Fold", "Hey", "Parade",
  "Broadway", "End", "Lea", "Bank", "Side", "Drove", "Circus", "Grove", "Groves", "Parks", "Rapid", "Ramp",
  "Annex", "Arcade", "Bayou", "Beach", "Bottom", "Branch", "Burg", "Burgs", "Bypass", "Camp", "Cape", "Cliff", "Cliffs",
  "Club", "Course", "Coves", "Crossroad", "Crossroads", "Dam", "Divide", "Drives", "Fall", "Fords", "Harbors",
  "Junctions", "Land", "Loaf", "Lock", "Locks", "Mall", "Missions", "Overpass", "Parkways", "Pine", "Radial",
  "Trailer", "Circles", "Lanes", "Routes",
].join("|")})`;
/** Abbreviated suffixes keep their dot (`St.`); after a full word a dot ends the sentence and is not part of it. */
const US_SUFFIX_DOT = "(?:St|Ave|Av|Rd|Blvd|Ln|Dr|Ct|Pl|Sq|Ter|Pkwy|Hwy|Cir|Trl|Cres|Aly|Pt|Rte|Hts|Xing|Expy|Ext|Fwy)\\.";
/** Street types written before the name (FR, PT, BR, IT, ES, CA-FR). */
const TYPE_FIRST = `${anyCase("rue boulevard bd avenue av place quai passage chemin allee impasse cours route square " +
  "voie hameau sentier esplanade promenade residence villa cite parvis " +
  "rua avenida travessa rodovia alameda praca estrada largo marginal viela ladeira beco " +
  "via viale piazza piazzale corso strada contrada borgo vicolo lungomare salita traversa frazione localita incrocio rotonda " +
  "calle plaza paseo camino carrera ronda pasaje glorieta carretera avinguda carrer travesia callejon rambla urbanizacion " +
  // The rest of Spain's street types (INE's "tipos de vía"), minus those that are common words or surnames alone.
  "acceso aldea apartamento autopista autovia bajada barranco barrio bloque calleja canada caserio chalet conjunto " +
  "costanilla cuesta edificio entrada escalinata explanada huerta jardines manzana masia muelle paraje parque partida " +
  "pasadizo poblado poligono prolongacion ramal rampa riera rincon salida seccion senda subida terrenos torrente")}\\.?`;
/** Polish street types: `ul.`, `al.`, `pl.`, `os.`, `bulw.`, and written out. */
const PL_TYPE = "(?:(?:ul|al|pl|os|bulw)\\.|ulica|aleja|plac|osiedle|rondo|skwer|droga|ogrod|wyspa)";
/** Endings of compound street names (DE, AT, CH, NL, BE, SE, DK, NO). */
const COMPOUND = `(?:-?${anyCase("strasse straße str. weg gasse platz allee ring damm ufer chaussee steig pfad markt hof " +
  "laan straat gracht plein kade dijk singel dreef steeg plantsoen gata gatan vagen vag grand torget stig backen gardet " +
  "allen leden vej gade veien gaten park granden")})`;
/** The same as separate capitalised words (`Berliner Straße`, `Görans Gata`). */
const COMPOUND_WORD = "(?:Stra(?:ss|ß)e|Str\\.|Weg|Gasse|Platz|Allee|Ring|Damm|Ufer|Chaussee|Laan|Straat|Gata|Vag|Vagen|Vej|Gade)";
const PARTICLE = "(?:de|del|de la|du|des|da|do|dos|das|di|della|van|von|der|den|le|la|of|the|al|el|y|am|an|auf|im|zum|zur)";
const WORD = "(?:[A-Z][A-Za-z'\\-]+|[dl]'[A-Z][A-Za-z'\\-]+|[0-9]{1,3}(?:st|nd|rd|th|e|er|o|a))";
const NAME = `${WORD}(?: (?:${PARTICLE} )*${WORD}){0,3}`;
const NUM = "[0-9]{1,5}[A-Za-z]?(?:[\\-/][0-9]{1,4}[A-Za-z]?)?";
const DIRECTION = "(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\\.?";
const UNIT_WORD = anyCase("apt apartment suite ste unit flat floor fl room rm bldg building zimmer whg wohnung etage stock " +
  "apto appartamento interno scala piano piso puerta escalera lote quadra casa sobrado bloco sala conjunto lgh hus m. bus");
/** One unit part: `Apt. 4B`, `#12`, `9 OG`, `3 etage`, `2 hoog achter`, `2o B` (`2º B`), `III`. */
const UNIT_PART = [
  `${UNIT_WORD}\\.? ?#?[A-Za-z0-9\\-]{1,6}`, "#[0-9A-Za-z\\-]{1,6}",
  `[0-9]{1,2}(?:e|er|eme|o|a)? ?(?:OG|${anyCase("og etage hoog stock piso")})(?: achter| voor)?`,
  "[0-9]{1,2}[oa] ?(?:[A-Z]|Dcha|Izda|Izq|Der)\\.?", "(?:I{1,3}|IV|V|VI)",
].join("|");
const UNIT = `(?:,? (?:${UNIT_PART})){1,2}`;
const UNIT_BEFORE = `(?:${UNIT_WORD}\\.? ?[0-9A-Za-z]{1,5},? )`;
const CITY = "[A-Z][A-Za-z'\\-]+(?: [A-Z][A-Za-z'\\-]+){0,2}";
const TAIL = [
  `,? ${CITY},? [A-Z]{2},? [0-9]{5}(?:-[0-9]{4})?`,
  `,? [0-9]{4,5} ${CITY}`,
  `,? ${CITY},? [A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}`,
  // India: city, then the 6-digit PIN (first digit 1–9), often written `560 001` or `- 560001`.
  `,? ${CITY}(?:,| -)? [1-9][0-9]{2} ?[0-9]{3}`,
  // Brazil: city, optional state (`- SP`), then the CEP `01310-200`.
  `,? ${CITY}(?: ?[\\-/] ?[A-Z]{2})?,? (?:- )?[0-9]{5}-[0-9]{3}`,
].join("|");
/**
 * German street names made of a preposition and a field or place name (`Am Borsberg 31b`, `An der Luisenburg 5`,
 * `Zum Claashäuschen 7`): common, but `Am Montag 5` reads the same, so only with the `, 12345 City` tail after them.
 */
const DE_PREPOSITION = "(?:Am|An der|An den|Auf der|Auf dem|Im|In der|In den|Zum|Zur|Unter den|Hinter der|Vor dem|Gut)";
const DE_PREPOSITION_ADDRESS = `${DE_PREPOSITION} ${WORD}(?: ${WORD})? ${NUM}(?:${UNIT})?,? [0-9]{5} ${CITY}`;

const ADDRESS = [
  `${NUM} (?:${DIRECTION} )?${NAME} (?:${US_SUFFIX}|${US_SUFFIX_DOT})(?: ${DIRECTION}(?![A-Za-z]))?`,
  `${NUM},? ${TYPE_FIRST} (?:${PARTICLE} )*${NAME}`,
  // `s/n` (sin número): a Spanish address without a house number.
  `${TYPE_FIRST} (?:${PARTICLE} )*${NAME},? (?:${NUM}|[Ss]/[Nn])`,
  `${PL_TYPE} ?${NAME} ${NUM}`,
  `(?:${PARTICLE} )*(?:${WORD} )?[A-Z][A-Za-z\\-]*${COMPOUND} ${NUM}`,
  `(?:${PARTICLE} )*${WORD}(?: ${WORD})? ${COMPOUND_WORD} ${NUM}`,
  DE_PREPOSITION_ADDRESS,
].join("|");

/** The street-address pattern: the detector's definition (its program is generated from it). */
export const STREET_ADDRESS_PATTERN = `(?<![A-Za-z0-9_])${UNIT_BEFORE}?(?:${ADDRESS})(?:${UNIT})?(?:${TAIL})?(?![A-Za-z0-9_])`;
const ADDRESS_MAX_LENGTH = 200;

/**
 * The pattern's program, decoded on the first stream. Its word lists make it ~6,600 NFA states: compiling it cold
 * (parse, prefix factoring, Thompson construction) cost about as much as every other default detector together on
 * a cold isolate's first request, so it ships precompiled (address-program.ts, generated from the pattern and checked
 * against it by tests/gates/address-program.test.ts). Precompiled rather than rewritten as a word-set scanner: the
 * same program runs in the same Pike VM, so findings, hold-back and per-token cost are the pattern's by construction.
 */
let program: Program | undefined;
const addressProgram = (): Program => (program ??= decodeProgram(JSON.parse(ADDRESS_PROGRAM_JSON) as EncodedProgram));

/** The street-address detector. */
export const ADDRESS_DETECTORS: Readonly<Record<"street_address", DetectorSpec>> = {
  street_address: {
    pattern: STREET_ADDRESS_PATTERN,
    maxLength: ADDRESS_MAX_LENGTH, placeholder: "[ADDRESS]",
    scanner: () => () => new PikeScanner(addressProgram(), ADDRESS_MAX_LENGTH),
    program: addressProgram,
  },
};
