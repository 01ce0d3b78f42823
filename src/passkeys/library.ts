// @simplewebauthn/server, loaded with the first passkey ceremony: most servers never need it, and
// held from the start it would sit in every idle server's memory.
export const webauthn = () => import('@simplewebauthn/server');
