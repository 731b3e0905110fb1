/**
 * The TLS identity of the Kubernetes API emulator: a self-signed P-256 certificate for 127.0.0.1 and localhost,
 * valid until 2126, that is its own CA. Checked in rather than generated so the tests need no `openssl`; the key
 * protects nothing but loopback test servers. Made with:
 * `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
 *  -subj /CN=airbundle-k8s-emulator -addext subjectAltName=IP:127.0.0.1,DNS:localhost`
 */

/** EMULATOR_TLS_KEY is the emulator's private key (PKCS#8 PEM). */
export const EMULATOR_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgtdmGrg7qEhZeM/jA
9AVmp93egktjq5ofAObtWBhAJOahRANCAATCbYKGnAeibsmhEqVnRM2I11V3xIyp
eFPg/lLuqAZeVGMUletrfm89q5LzdtbsEJCjyjpdn/6mlDHsvthyvL8l
-----END PRIVATE KEY-----
`;

/** EMULATOR_TLS_CERT is the emulator's certificate (PEM), also the CA a kubeconfig trusts. */
export const EMULATOR_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBtTCCAVugAwIBAgIUWMWf+pYqU6Bt9kszPDgy8tCkK90wCgYIKoZIzj0EAwIw
ITEfMB0GA1UEAwwWYWlyYnVuZGxlLWs4cy1lbXVsYXRvcjAgFw0yNjExMjMxNDQ3
MjZaGA8yMTI2MTAzMDE0NDcyNlowITEfMB0GA1UEAwwWYWlyYnVuZGxlLWs4cy1l
bXVsYXRvcjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABMJtgoacB6JuyaESpWdE
zYjXVXfEjKl4U+D+Uu6oBl5UYxSV62t+bz2rkvN21uwQkKPKOl2f/qaUMey+2HK8
vyWjbzBtMB0GA1UdDgQWBBQ6bEDborizaYt1+uG2Zq+uNFbEpzAfBgNVHSMEGDAW
gBQ6bEDborizaYt1+uG2Zq+uNFbEpzAPBgNVHRMBAf8EBTADAQH/MBoGA1UdEQQT
MBGHBH8AAAGCCWxvY2FsaG9zdDAKBggqhkjOPQQDAgNIADBFAiEAgFjUik1ZyMIS
jw3sL/RzJGDg/JHZGmfGJrCg4qCGCvICIGrdjRfEU8txQEuNNuSRW/tiUfdg9qKY
47VbqywWwEKr
-----END CERTIFICATE-----
`;
