/** Positives and look-alikes of the national-ID, wallet, secret and name detectors (synthetic values: checksums valid, never issued). */

/** 32 characters of a random-looking key body, repeated to build provider keys of the documented lengths. */
const BODY = "aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF";
const body = (n: number): string => BODY.repeat(Math.ceil(n / BODY.length)).slice(0, n);

/** Values each new detector must find whole. */
export const NEW_DETECTOR_SAMPLES = {
  uk_nino: ["AB 12 34 56 C", "CE859321D", "JG103759A"],
  ca_sin: ["130-692-544", "527 000 491"],
  in_aadhaar: ["2341 2341 2346", "2341-2341-2346"],
  in_pan: ["ABCPE1234F", "AAACB1234Z"],
  es_dni: ["12345678Z", "12.345.678-Z"],
  es_nie: ["X1234567L", "X-1234567-L"],
  it_codice_fiscale: ["RSSMRA85T10A562S"],
  br_cpf: ["529.982.247-25", "52998224725"],
  br_cnpj: ["11.222.333/0001-81", "11222333000181"],
  fr_nir: ["1 84 12 76 451 089 46", "269029934173285", "185022A00401222"],
  de_tax_id: ["86095742719", "47 036 892 816"],
  btc_address: [
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297",
    "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
  ],
  eth_address: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359"],
  mac_address: ["00:1A:2B:3C:4D:5E", "a4-5e-60-c2-19-0f", "001a.2b3c.4d5e"],
  url_credentials: ["https://admin:s3cr3tP4ss@db.example.com:5432", "postgres://app:Xy7pq2@10.0.0.5", "ftp://bob:pa55@files.example.org"],
  api_key: [
    `sk-proj-${body(56)}`, `sk-${body(20)}T3BlbkFJ${body(20)}`, `sk-svcacct-${body(48)}`,
    `sk-ant-api03-${body(93)}AA`, `sk-ant-admin01-${body(93)}AA`,
    "sk_test_4eC39HqLyjWDarjtT1zdp7dc", `rk_live_${body(40)}`, `whsec_${body(32)}`,
    `AIza${body(35)}`, `GOCSPX-${body(28)}`,
    "SK0123456789abcdef0123456789abcdef", "ACf0e1d2c3b4a5968778695a4b3c2d1e0f",
    `SG.${body(22)}.${body(43)}`,
    `npm_${body(36)}`,
    `hf_${body(34)}`,
    `AccountKey=${body(86)}==`, `SharedAccessKey=${body(43)}=`,
  ],
  person_name: ["John Smith", "Dr. Ada Lovelace", "Jean-Luc Picard", "Maria de la Cruz", "Mary O'Connor", "Herr Jürgen Müller", "Katarzyna Nowak"],
  street_address: [
    "221B Baker Street", "7258 S Chestnut St. Apt 140, Springfield, IL 62704", "12 rue de la Paix, 75002 Paris",
    "Via Roma 10", "Hauptstraße 5, 10115 Berlin", "ul. Marszalkowska 10/2", "Flat 3, 12 Baker Street",
  ],
  postal_code: ["SW1A 1AA", "K1A 0B1"],
  age: ["34 years old", "71-year-old"],
  // Context-only detectors: their values are in CONTEXT_SAMPLES (a bare value must not match).
  date_of_birth: [], passport_number: [], drivers_license: [],
  generic_secret: ["api_key=9f8e7d6c5b4a3f2e1d0c9b8a", "password is V9x2Lq8Zr4Tn6Wp1", `"api_key": "Zx9Qw8Er7Ty6Ui5Op4As3Df2"`, "PASSWORD=Tr0ub4dorXk9Lm2Qp"],
};

const ID_NAMES = ["uk_nino", "ca_sin", "in_aadhaar", "in_pan", "es_dni", "es_nie", "it_codice_fiscale", "br_cpf", "br_cnpj", "fr_nir", "de_tax_id"] as const;
/** The grouped detectors take their members' values. */
const grouped = <T extends Record<string, string[]>>(lists: T, members: readonly (keyof T)[]): string[] => members.flatMap((m) => lists[m]!);

/** Group detectors: every member's samples. */
export const GROUP_SAMPLES = {
  national_id: grouped(NEW_DETECTOR_SAMPLES, ID_NAMES),
  crypto_wallet: grouped(NEW_DETECTOR_SAMPLES, ["btc_address", "eth_address"]),
};

/** Shapes that fail a check digit, an allocation rule or a randomness test: each detector must leave them alone. */
export const NEW_DETECTOR_LOOKALIKES: Record<keyof typeof NEW_DETECTOR_SAMPLES, string[]> = {
  uk_nino: ["GB123456A", "AB123456E", "AO123456C"],
  ca_sin: ["130-692-545", "046-454-286", "130 692-544"],
  // Twelve bare digits without the word `Aadhaar` may be any account number (tests/gates/pii-rules.test.ts has both).
  in_aadhaar: ["2341 2341 2345", "1341 2341 2346", "2341 2341 23460", "499187654323"],
  in_pan: ["ABCXE1234F", "ABCPE12345", "abcpe1234f"],
  es_dni: ["12345678A", "1234567Z"],
  es_nie: ["X1234567A", "W1234567L"],
  it_codice_fiscale: ["RSSMRA85T10A562T", "RSSMRA85Z10A562S"],
  br_cpf: ["529.982.247-26", "111.111.111-11", "52998224726"],
  br_cnpj: ["11.222.333/0001-82", "00.000.000/0000-00"],
  fr_nir: ["1 84 12 76 451 089 47", "3 84 12 76 451 089 46", "1 84 15 76 451 089 46"],
  de_tax_id: ["86095742718", "11111111116", "06095742719"],
  btc_address: ["1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp", "bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
  eth_address: ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "0x0000000000000000000000000000000000000000", "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae"],
  mac_address: ["12:30:45", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff", "00:1A:2B:3C:4D"],
  url_credentials: ["https://user:password@example.com", "https://example.com/a:b@c", "mailto:a@b.com", "https://u:***@example.com"],
  api_key: [
    "sk-this-is-not-a-real-key-at-all-ok-right", "sk-1234",
    "sk-ant-short",
    "sk_live_aaaaaaaaaaaaaaaaaaaaaaaa", `pk_live_${body(40)}`, "sk_test_short",
    "AIza-short", `AIza${body(30)}`,
    `SK${"0".repeat(32)}`, `AC${"abcdef".repeat(5)}ab`, "SK0123",
    "SG.short.key", `SG.${body(10)}.${body(43)}`,
    "npm_install", `npm_${"a".repeat(36)}`,
    "hf_short", `hf_${"a".repeat(34)}`,
    "AccountKey=short", `AccountKey=${"A".repeat(86)}==`,
  ],
  person_name: ["The Quarterly Report", "New York City", "will smith", "Project Manager", "Main Street", "Monday Morning", "Apple Music"],
  street_address: ["12 Main", "version 2 of the Park", "Room 101", "in 2024 Apple released"],
  postal_code: ["12345", "SW1A", "order 10115"],
  age: ["34", "3 years", "120 years"],
  date_of_birth: ["12/03/1985", "born 2/30/1985", "born 13/13/1985", "born 1985-13-40"],
  passport_number: ["X1234567", "123456789"],
  drivers_license: ["B12345678", "license MIT"],
  generic_secret: ["the secret is out", "password: hunter2", "token = aaaaaaaaaaaaaaaaaaaa", "api key rotation policy"],
};

/** Detectors that need a context word before the value: [context, value] pairs (the value alone must pass). */
export const CONTEXT_SAMPLES: Record<"date_of_birth" | "passport_number" | "drivers_license" | "postal_code" | "age", [string, string][]> = {
  date_of_birth: [["born", "12/03/1985"], ["DOB:", "1985-03-12"], ["born on", "March 12, 1985"], ["geboren am", "12. Marz 1985"]],
  passport_number: [["Passport number", "X1234567"], ["passport no.", "123456789"], ["passeport", "12AB34567"]],
  drivers_license: [["driver's license", "D1234-5678-9012"], ["DL:", "B12345678"]],
  postal_code: [["zip", "62704"], ["ZIP code", "62704-1234"], ["PLZ", "10115"], ["CEP", "01310-100"]],
  age: [["age:", "34"], ["aged", "71"]],
};

/** One value per new detector, in the context it needs (for the end-to-end tests that take one sample each). */
export const ONE_SAMPLE_EACH = Object.fromEntries(Object.entries({ ...NEW_DETECTOR_SAMPLES, ...GROUP_SAMPLES }).map(([d, values]) =>
  [d, values[0] ?? CONTEXT_SAMPLES[d as keyof typeof CONTEXT_SAMPLES][0]!.join(" ")])) as Record<keyof typeof NEW_DETECTOR_SAMPLES | keyof typeof GROUP_SAMPLES, string>;

/** Group detectors: every member's look-alikes. */
export const GROUP_LOOKALIKES: Record<keyof typeof GROUP_SAMPLES, string[]> = {
  national_id: grouped(NEW_DETECTOR_LOOKALIKES, ID_NAMES),
  crypto_wallet: grouped(NEW_DETECTOR_LOOKALIKES, ["btc_address", "eth_address"]),
};
