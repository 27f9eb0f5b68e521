/** One real-looking, validator-passing sample per PII detector, and near-misses that must pass untouched. */
import type { PiiDetector } from "../../src/gates/mod.ts";
import { ONE_SAMPLE_EACH } from "../gates/detector-samples.ts";

/** A valid value each detector must catch. */
export const PII_SAMPLES: Record<PiiDetector, string> = {
  email: "jane.doe+work@mail.example.com",
  phone: "+1 415 555 2671",
  payment_card: "4111 1111 1111 1111",
  iban: "DE89 3704 0044 0532 0130 00",
  us_ssn: "536-22-1847",
  ipv4: "192.168.10.25",
  ipv6: "2001:db8:85a3::8a2e:370:7334",
  aws_access_key: "AKIAIOSFODNN7EXAMPLE",
  github_token: "ghp_aB3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6",
  slack_token: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
  private_key: "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END RSA PRIVATE KEY-----",
  jwt: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
  bearer_token: "Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0",
  ...ONE_SAMPLE_EACH,
};

/** Strings that look like PII but fail its validators: they must come out unchanged. */
export const NEAR_MISSES: Record<string, string> = {
  "16 digits failing Luhn": "4111 1111 1111 1112",
  "SSN with area 000": "000-12-3456",
  "octet over 255": "999.168.10.25",
  "version number": "version 1.2.3",
  "a short number": "call 911 now",
};

/** Wraps a value in prose so detectors see realistic context on both sides. */
export const sentence = (value: string) => `Sure, here it is: ${value} and that is all.`;
