"""Service tokens of the internal protocol: EdDSA (Ed25519) JWTs, typ svc+jwt.

Issuer = the calling service, audience = the called one, sub = the end user, at most
five minutes of life. Callers' public keys come from their JWKS endpoints, fetched on
first use and again when a token names a key id not seen yet (rotation).
"""
import base64
import hashlib
import json
import os
import threading
import time
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from problems import Problem

TOKEN_TYPE = "svc+jwt"
MAX_TTL_SECONDS = 300
RENEW_BEFORE_SECONDS = 60
JWKS_REFETCH_COOLDOWN_SECONDS = 5


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SigningKey:
    """This service's Ed25519 key, kept in the data directory so a restart keeps its key id."""

    def __init__(self, path: str):
        if os.path.exists(path):
            with open(path, "rb") as f:
                self.private = Ed25519PrivateKey.from_private_bytes(f.read())
        else:
            self.private = Ed25519PrivateKey.generate()
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
            os.chmod(path, 0o600)
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        x = b64url(raw)
        # RFC 7638 thumbprint, as jose computes key ids.
        self.kid = b64url(hashlib.sha256(json.dumps({"crv": "Ed25519", "kty": "OKP", "x": x}, separators=(",", ":")).encode()).digest())
        self.public_jwk = {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": self.kid, "alg": "EdDSA", "use": "sig"}


class TokenIssuer:
    def __init__(self, service: str, key: SigningKey):
        self.service, self.key = service, key
        self._cache: dict = {}
        self._lock = threading.Lock()

    def token_for(self, audience: str, user_id):
        cache_key = (audience, user_id)
        now = time.time()
        with self._lock:
            cached = self._cache.get(cache_key)
            if cached and cached[1] > now:
                return cached[0]
        header = {"alg": "EdDSA", "kid": self.key.kid, "typ": TOKEN_TYPE}
        iat = int(now)
        claims = {"iss": self.service, "aud": audience, "iat": iat, "exp": iat + MAX_TTL_SECONDS}
        if user_id is not None:
            claims["sub"] = user_id
        signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        token = signing_input + "." + b64url(self.key.private.sign(signing_input.encode("ascii")))
        with self._lock:
            self._cache[cache_key] = (token, now + MAX_TTL_SECONDS - RENEW_BEFORE_SECONDS)
        return token


class TokenVerifier:
    """Checks tokens sent to this service; answers (service, user id) or raises a Problem."""

    def __init__(self, audience: str, known_services, may_call, jwks_url_of):
        self.audience = audience
        self.known = set(known_services)
        self.may_call = set(may_call)
        self.jwks_url_of = jwks_url_of
        self._keys: dict = {}
        self._fetched_at: dict = {}
        self._verified: dict = {}
        self._lock = threading.Lock()

    def _key(self, service: str, kid: str):
        with self._lock:
            key = self._keys.get((service, kid))
            recently = time.time() - self._fetched_at.get(service, 0) < JWKS_REFETCH_COOLDOWN_SECONDS
        if key is not None or recently:
            return key
        try:
            with urllib.request.urlopen(self.jwks_url_of(service), timeout=2) as res:
                keys = json.load(res).get("keys", [])
        except Exception as err:  # the key set is out of reach: not the token's fault
            raise Problem.framework("DEPENDENCY_UNAVAILABLE", f'the key set of service "{service}" could not be fetched: {err}')
        with self._lock:
            self._fetched_at[service] = time.time()
            for jwk in keys:
                if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and "kid" in jwk:
                    self._keys[(service, jwk["kid"])] = Ed25519PublicKey.from_public_bytes(unb64url(jwk["x"]))
            return self._keys.get((service, kid))

    def verify(self, authorization):
        token = authorization[7:] if authorization and authorization.startswith("Bearer ") else None
        if not token:
            raise Problem.framework("UNAUTHENTICATED", "a service token is required")
        now = time.time()
        with self._lock:
            hit = self._verified.get(token)
        if hit and hit[2] > now:
            return hit[0], hit[1]
        refuse = lambda why: Problem.framework("UNAUTHENTICATED", f"the service token is not valid ({why})")  # noqa: E731
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header = json.loads(unb64url(header_b64))
            claims = json.loads(unb64url(claims_b64))
            signature = unb64url(signature_b64)
        except ValueError:
            raise refuse("not a JWS")
        if not isinstance(header, dict) or not isinstance(claims, dict):
            raise refuse("not a JWS")
        if header.get("alg") != "EdDSA" or header.get("typ") != TOKEN_TYPE:
            raise refuse("wrong alg or typ")
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or issuer not in self.known:
            raise Problem.framework("UNAUTHENTICATED", "the service token is not from a known service")
        key = self._key(issuer, str(header.get("kid")))
        if key is None:
            raise refuse("unknown key id")
        try:
            key.verify(signature, f"{header_b64}.{claims_b64}".encode("ascii"))
        except InvalidSignature:
            raise refuse("bad signature")
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
            raise refuse("iat and exp are required")
        if claims.get("aud") != self.audience:
            raise refuse("wrong audience")
        if exp <= now:
            raise Problem.framework("UNAUTHENTICATED", "the service token has expired")
        if exp - iat > MAX_TTL_SECONDS or iat > now + 60:
            raise Problem.framework("UNAUTHENTICATED", f"the service token lives longer than {MAX_TTL_SECONDS}s")
        if issuer not in self.may_call:
            raise Problem.framework("FORBIDDEN", f'service "{issuer}" does not declare a dependency on module "{self.audience}"')
        sub = claims.get("sub") if isinstance(claims.get("sub"), str) else None
        with self._lock:
            if len(self._verified) > 10_000:
                self._verified.clear()
            self._verified[token] = (issuer, sub, min(exp, iat + MAX_TTL_SECONDS))
        return issuer, sub
