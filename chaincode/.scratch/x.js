const c = require('crypto');
const { p256 } = require('@noble/curves/p256');
const {privateKey, publicKey} = c.generateKeyPairSync('ec', {namedCurve: 'P-256'});
const msg = Buffer.from('hello');
const h = c.createHash('sha256').update(msg).digest();
let hi=0, ok=0;
for (let i=0;i<50;i++){
const der = c.sign('sha256', msg, privateKey);
const sig = p256.Signature.fromDER(der);
const jwk = publicKey.export({format:'jwk'});
const pub = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x,'base64url'), Buffer.from(jwk.y,'base64url')]);
if (sig.hasHighS()) hi++;
if (p256.verify(sig.normalizeS().toDERRawBytes(), h, pub, {lowS:true, prehash:false, format:'der'})) ok++;
}
const d = Buffer.from(privateKey.export({format:'jwk'}).d,'base64url');
const s2 = p256.sign(h, d, {lowS:true, prehash:false});
console.log(hi, ok, c.verify('sha256', msg, publicKey, Buffer.from(s2.toDERRawBytes())));
