// otpauth:// URIs as real services and apps write them, collected from public
// issue threads and vendor documentation. The shape of each URI is the one
// reported at `source`; secrets and account names that looked real were
// replaced by ones of the same length, so no live key is kept here.

import type { OtpauthUri } from '../../src/index.js';

export interface WildUri {
  /** Where the URI (or its shape) was published. */
  source: string;
  uri: string;
  /** The fields we parse out of it; `error` instead when we refuse it, with the reason. */
  expected: Partial<OtpauthUri> | { error: string };
  /** When another implementation reads it differently: who, and why we do not follow. */
  disagreement?: string;
}

export const WILD_URIS: readonly WildUri[] = [
  {
    source: 'google/google-authenticator wiki, "Key Uri Format", examples',
    uri: 'otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example',
    expected: { type: 'totp', issuer: 'Example', account: 'alice@google.com', secret: 'JBSWY3DPEHPK3PXP', weakSecret: true, digits: 6, period: 30 },
  },
  {
    source: 'google/google-authenticator wiki, "Key Uri Format", examples (all parameters)',
    uri: 'otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30',
    expected: { issuer: 'ACME Co', account: 'john.doe@email.com', secret: 'HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ', weakSecret: false, algorithm: 'SHA1' },
  },
  {
    source: 'https://github.com/replydev/cotp/issues/440 (GitHub: a 16-character setup key, 10 bytes)',
    uri: 'otpauth://totp/GitHub:octocat?secret=34DJCMTGTRRXPEPZ&issuer=GitHub',
    expected: { issuer: 'GitHub', account: 'octocat', secret: '34DJCMTGTRRXPEPZ', weakSecret: true },
  },
  {
    source: 'https://github.com/pass-extension/pass-otp/issues/40 (Discord, discordapp.com issuer, 16-character secret)',
    uri: 'otpauth://totp/discordapp.com:jane%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=discordapp.com',
    expected: { issuer: 'discordapp.com', account: 'jane@example.com', weakSecret: true },
  },
  {
    source: 'https://github.com/Spomky-Labs/otphp/issues/242 (Microsoft 365: label prefix is the tenant, issuer is Microsoft, + for space, lower-case %3a)',
    uri: 'otpauth://totp/Some+Company%3ame%40somecompany.net?secret=abcdefghijklmnop&issuer=Microsoft',
    expected: { issuer: 'Microsoft', labelIssuer: 'Some Company', account: 'me@somecompany.net', secret: 'ABCDEFGHIJKLMNOP', weakSecret: true },
    disagreement: 'pyotp and otphp (before 11.4) refuse it as an issuer mismatch; FreeOTP shows the label prefix. We follow Google Authenticator: the parameter wins.',
  },
  {
    source: 'https://github.com/pyauth/pyotp/issues/120 (Microsoft Entra: tenant name in the label)',
    uri: 'otpauth://totp/CompanyName%3Ait377%40example.onmicrosoft.com?secret=abcdefghddrtkfb2k&issuer=Microsoft',
    expected: { error: 'not a whole number of bytes' },
    disagreement: 'The secret in the report was elided to 17 characters, an impossible base32 length; we keep the elided form to check that the reason names the secret.',
  },
  {
    source: 'https://github.com/kspearrin/Otp.NET/issues/62 (mysignins.microsoft.com, shape {{ORG_NAME}}%3A{{USER_EMAIL}})',
    uri: 'otpauth://totp/Contoso%3Ajane%40contoso.com?secret=JBSWY3DPEHPK3PXP&issuer=Microsoft',
    expected: { issuer: 'Microsoft', labelIssuer: 'Contoso', account: 'jane@contoso.com', weakSecret: true },
  },

  {
    source: 'https://github.com/go-gitea/gitea/pull/6634 (Gitea: an issuer with a URL, so a colon, in the label and the parameter)',
    uri: 'otpauth://totp/%E5%96%B5%20%E3%81%A8%20Nyaa%20%28https://old.huihui.cat%29:user?algorithm=SHA1&digits=6&issuer=%E5%96%B5+%E3%81%A8+Nyaa+%28https%3A%2F%2Fold.huihui.cat%29&period=30&secret=JBSWY3DPEHPK3PXP',
    expected: { issuer: '喵 と Nyaa (https://old.huihui.cat)', account: 'user', weakSecret: true },
    disagreement: 'Parsers that split at the first colon read the issuer as "喵 と Nyaa (https" and the account as "//old.huihui.cat):user".',
  },
  {
    source: 'https://github.com/nextcloud/twofactor_totp/pull/44 (ownCloud: no label prefix, issuer parameter only)',
    uri: 'otpauth://totp/admin%40alien.fritz.box%2Foc%2Fcore?secret=3PHKCJ4EBMY35SCN&issuer=ownCloud',
    expected: { issuer: 'ownCloud', account: 'admin@alien.fritz.box/oc/core', weakSecret: true },
  },
  {
    source: 'https://github.com/Sneezry/authenticator/issues/85 (crossout: an empty account, a 5-byte lower-case secret)',
    uri: 'otpauth://totp/crossout:?secret=ghjktcfr&issuer=crossout',
    expected: { issuer: 'crossout', account: '', secret: 'GHJKTCFR', weakSecret: true },
  },
  {
    source: 'https://github.com/keeweb/keeweb/issues/2145 (no label at all)',
    uri: 'otpauth://totp?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&algorithm=SHA1',
    expected: { account: '', weakSecret: true, period: 30 },
  },
  {
    source: 'https://github.com/electron/governance/issues/435 (every parameter written out, issuer last)',
    uri: 'otpauth://totp/etana:someone@example.com?secret=KJAWW2JZNJIGSYZRK5ZE4YKPHF2UENDR&digits=6&algorithm=SHA1&issuer=etana&period=30',
    expected: { issuer: 'etana', account: 'someone@example.com', weakSecret: false },
  },
  {
    source: 'https://github.com/LazarSoft/jsqrcode/issues/118 (Facebook: issuer parameter only)',
    uri: 'otpauth://totp/httpsyoutube.comexample?secret=6DHFSKEULRKSMGGKRFVNXXHGU7O7JVP3&digits=6&issuer=Facebook',
    expected: { issuer: 'Facebook', account: 'httpsyoutube.comexample', weakSecret: false },
  },


  {
    source: 'pyauth/pyotp, test.py, test_algorithms (Steam, with encoder=steam)',
    uri: 'otpauth://totp/Steam:?secret=FMXNK4QEGKVPULRTADY6JIDK5VHUBGZW&encoder=steam',
    expected: { issuer: 'Steam', account: '', digits: 6, weakSecret: false },
    disagreement: 'pyotp computes Steam Guard codes (5 characters of its own alphabet) for encoder=steam; we ignore the unknown parameter and compute RFC 6238 digits, which Steam does not accept.',
  },
  {
    source: 'pyauth/pyotp, test.py, test_algorithms (algorithm given twice)',
    uri: 'otpauth://totp?algorithm=SHA1&secret=GEZDGNBV&algorithm=SHA256',
    expected: { error: 'the algorithm parameter appears twice with different values' },
    disagreement: 'pyotp lets the last one win (SHA256); we refuse to choose between two different hashes.',
  },
  {
    source: 'pyauth/pyotp, test.py, test_algorithms (the same parameter twice, one value)',
    uri: 'otpauth://hotp?algorithm=SHA1&secret=GEZDGNBV&algorithm=SHA1&counter=1',
    expected: { type: 'hotp', account: '', secret: 'GEZDGNBV', counter: 1, weakSecret: true },
  },
  {
    source: 'pyauth/pyotp, test.py, test_invalids',
    uri: 'otpauth://derp?secret=foo',
    expected: { error: 'type must be totp or hotp, got "derp"' },
  },
  {
    source: 'pyauth/pyotp, test.py, test_invalids',
    uri: 'otpauth://totp?digits=-1',
    expected: { error: 'the secret parameter is missing' },
  },
  {
    source: 'pyauth/pyotp, test.py, test_invalids',
    uri: 'otpauth://totp/SomeIssuer:?issuer=AnotherIssuer',
    expected: { error: 'the secret parameter is missing' },
  },
  {
    source: 'pyauth/pyotp, test.py, test_invalids',
    uri: 'otpauth://totp?algorithm=aes&secret=GEZDGNBV',
    expected: { error: 'the algorithm parameter must be one of' },
  },
];
