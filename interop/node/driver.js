#!/usr/bin/env node
// Drives a running wechatpay-chain sandbox with wechatpay-axios-plugin (npm), unchanged: its own
// request signing, answer verification, RSA and AES-GCM helpers (also for the certificate download
// and the notification, as its documentation shows). Configured only from the sandbox's --keys-dir output.
//
//   node driver.js KEYS_DIR public-key|certificate|mixed
//
// Exits 0 when every step passed; otherwise prints the step and the peer's message and exits 1.

'use strict';

const fs = require('fs');
const http = require('http');
const path = require('path');

const { Wechatpay, Rsa, Formatter, Aes: { AesGcm } } = require('wechatpay-axios-plugin');

const APPID = 'wxd678efh567hg6787';
const [keysDir, mode] = process.argv.slice(2);
if (!keysDir || !['public-key', 'certificate', 'mixed'].includes(mode)) {
  console.error('usage: node driver.js KEYS_DIR public-key|certificate|mixed');
  process.exit(2);
}
// Never hang: the whole run is bounded.
setTimeout(() => fail('timeout', new Error('the driver did not finish within 120 s')), 120000).unref();

const keys = JSON.parse(fs.readFileSync(path.join(keysDir, 'sandbox.json'), 'utf8'));
const keyFile = (role) => path.join(keysDir, keys.files[role]);
const read = (role) => fs.readFileSync(keyFile(role), 'utf8');
const base = new URL(keys.base_uri);
const runId = `${Date.now()}${process.pid}`.slice(-12);

let step = 'setup';
function fail(where, error) {
  const response = error && error.response;
  const detail = response ? `HTTP ${response.status} ${JSON.stringify(response.data)} (${error.message})` : (error && error.stack) || error;
  console.error(`wechatpay-axios-plugin [${mode}] failed at ${where}: ${detail}`);
  process.exit(1);
}
function check(condition, message) {
  if (!condition) { throw new Error(message); }
}

/**
 * Certificate download, the steps of the package's own downloader (`wxpay crt`, bin/cli/cert.js): a
 * client with no platform key yet fetches `v3/certificates`, each certificate is decrypted with
 * `AesGcm.decrypt` under the APIv3 key, and the answer's signature is checked with `Rsa.verify` against
 * the certificate it names. (`wxpay crt` itself cannot finish in 0.9.6: `jsonBased` copies `certs` into
 * the map its verifier reads before the command's injector adds the downloaded certificate, so every
 * download fails with EV3_RES_HEADER_PLATFORM_SERIAL. The steps here are the same, in that order.)
 */
async function downloadCertificates() {
  const bootstrap = new Wechatpay({
    baseURL: keys.base_uri, mchid: keys.mchid, serial: keys.merchant_serial, privateKey: read('merchant_private_key'),
    certs: { any: undefined }, timeout: 15000,
  });
  const raw = await bootstrap.v3.certificates.get({ transformResponse: [(data) => data] });
  const certs = {};
  (JSON.parse(raw.data).data || []).forEach(({ serial_no: serial, encrypt_certificate: { nonce, associated_data: aad, ciphertext } }) => {
    certs[serial] = AesGcm.decrypt(ciphertext, keys.apiv3_key, nonce, aad);
  });
  const h = raw.headers;
  const signer = h['wechatpay-serial'];
  check(Object.prototype.hasOwnProperty.call(certs, signer), `the download is signed by ${signer}, not by a downloaded certificate`);
  check(
    Rsa.verify(Formatter.response(h['wechatpay-timestamp'], h['wechatpay-nonce'], raw.data), h['wechatpay-signature'], Rsa.from(certs[signer], Rsa.KEY_TYPE_PUBLIC)),
    'the download\'s signature does not verify with the certificate it names',
  );
  check(certs[keys.platform_serial] && certs[keys.platform_serial].trim() === read('platform_certificate').trim(), 'the downloaded certificate is not the sandbox\'s');
  return certs;
}

/** The platform keys, `{serial: key}`, as the package takes them. */
async function certsFor() {
  switch (mode) {
    case 'public-key': return { [keys.public_key_id]: read('wechatpay_public_key') };
    case 'certificate': return downloadCertificates();
    default: return { [keys.public_key_id]: read('wechatpay_public_key'), [keys.platform_serial]: read('platform_certificate') };
  }
}

/**
 * A notification endpoint verifying with the package's helpers what WeChat Pay documents: the four
 * `Wechatpay-*` headers, the ±300 s window, RSA-SHA256 with the key the serial names, then AES-256-GCM.
 */
function notificationEndpoint(certs) {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = Buffer.concat(chunks).toString('utf8');
        const h = req.headers;
        const [timestamp, nonce, serial, signature] = ['wechatpay-timestamp', 'wechatpay-nonce', 'wechatpay-serial', 'wechatpay-signature'].map((n) => h[n]);
        check(timestamp && nonce && serial && signature, 'the notification lacks Wechatpay-* headers');
        check(Math.abs(Formatter.timestamp() - timestamp) <= 300, `the notification timestamp ${timestamp} is off`);
        check(Object.prototype.hasOwnProperty.call(certs, serial), `no key for the notification serial ${serial}`);
        const publicKey = Rsa.from(certs[serial], Rsa.KEY_TYPE_PUBLIC);
        check(Rsa.verify(Formatter.response(timestamp, nonce, body), signature, publicKey), 'the notification signature does not verify');
        const { event_type: eventType, resource } = JSON.parse(body);
        const plain = AesGcm.decrypt(resource.ciphertext, keys.apiv3_key, resource.nonce, resource.associated_data);
        received.push({ eventType, transaction: JSON.parse(plain) });
        res.writeHead(204).end();
      } catch (error) {
        received.push({ error });
        res.writeHead(500, { 'Content-Type': 'application/json' }).end(JSON.stringify({ code: 'FAIL', message: String(error.message) }));
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, received, url: `http://127.0.0.1:${server.address().port}/wechatpay/notify` }));
  });
}

/** The sandbox's control plane (not WeChat Pay, no signature): pay an order and deliver its notification. */
function sandboxPay(outTradeNo) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method: 'POST', path: `/_sandbox/pay/${outTradeNo}`, timeout: 30000 }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`control plane: HTTP ${res.statusCode} ${text}`))));
    });
    req.on('timeout', () => req.destroy(new Error('control plane: timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function main() {
  step = mode === 'certificate' ? 'GET v3/certificates (certificate download)' : 'setup';
  const certs = await certsFor();
  if (mode === 'certificate') { console.log(`ok   ${step}`); }
  const wxpay = new Wechatpay({
    baseURL: keys.base_uri, mchid: keys.mchid, serial: keys.merchant_serial, privateKey: read('merchant_private_key'), certs, timeout: 15000,
  });
  const endpoint = await notificationEndpoint(certs);
  const order = (name) => `node${runId}${name}`;

  step = 'GET v3/facemch/users/{face_sid}';
  const { data: user } = await wxpay.v3.facemch.users['{face_sid}'].get({
    face_sid: 'aabbccdd12345', params: { info_type: 'ASK_UNIONID', appid: APPID, sub_appid: 'wx2b029c08a6255555' },
  });
  check(typeof user.openid === 'string' && typeof user.sub_openid === 'string', `unexpected answer ${JSON.stringify(user)}`);
  console.log(`ok   ${step}`);

  const native = (outTradeNo) => wxpay.v3.pay.transactions.native.post({
    appid: APPID, mchid: keys.mchid, description: 'interop (node)', out_trade_no: outTradeNo,
    notify_url: endpoint.url, amount: { total: 100, currency: 'CNY' },
  });
  const query = (outTradeNo, config = {}) => wxpay.v3.pay.transactions.outTradeNo['{out_trade_no}'].get({
    out_trade_no: outTradeNo, params: { mchid: keys.mchid }, ...config,
  });

  step = 'POST v3/pay/transactions/native';
  const { data: prepay } = await native(order('A'));
  check(/^weixin:\/\//.test(prepay.code_url), `no code_url in ${JSON.stringify(prepay)}`);
  console.log(`ok   ${step}`);

  step = 'GET v3/pay/transactions/out-trade-no/{out_trade_no}';
  const { data: unpaid } = await query(order('A'));
  check(unpaid.trade_state === 'NOTPAY', `trade_state ${unpaid.trade_state}`);
  console.log(`ok   ${step}`);

  step = 'POST v3/pay/transactions/out-trade-no/{out_trade_no}/close';
  await native(order('B'));
  const closed = await wxpay.v3.pay.transactions.outTradeNo['{out_trade_no}'].close.post({ mchid: keys.mchid }, { out_trade_no: order('B') });
  check(closed.status === 204, `status ${closed.status}`);
  console.log(`ok   ${step} (204)`);

  step = 'TRANSACTION.SUCCESS notification';
  const paid = await sandboxPay(order('A'));
  const note = endpoint.received.shift();
  check(note, `nothing was delivered (control plane: ${JSON.stringify(paid)})`);
  if (note.error) { throw note.error; }
  check(paid.notified === 204, `the endpoint answered ${paid.notified}`);
  check(note.eventType === 'TRANSACTION.SUCCESS', `event ${note.eventType}`);
  check(note.transaction.out_trade_no === order('A') && note.transaction.trade_state === 'SUCCESS', `resource ${JSON.stringify(note.transaction)}`);
  check(note.transaction.transaction_id === paid.transaction_id, 'another transaction id');
  console.log(`ok   ${step} (verified, decrypted)`);

  step = 'GET v3/pay/transactions/out-trade-no/{out_trade_no} (paid)';
  const { data: settled } = await query(order('A'));
  check(settled.trade_state === 'SUCCESS', `trade_state ${settled.trade_state}`);
  console.log(`ok   ${step}`);

  if (mode === 'mixed') {
    // Naming the public key in Wechatpay-Serial makes WeChat Pay sign with it; without, a certificate signed.
    step = 'GET (Wechatpay-Serial: the public key id)';
    const { data } = await query(order('A'), { headers: { 'Wechatpay-Serial': keys.public_key_id } });
    check(data.trade_state === 'SUCCESS', `trade_state ${data.trade_state}`);
    console.log(`ok   ${step}`);
  }

  step = 'POST v3/refund/domestic/refunds';
  const { data: refund } = await wxpay.v3.refund.domestic.refunds.post({
    out_trade_no: order('A'), out_refund_no: order('R'), reason: 'interop', amount: { refund: 100, total: 100, currency: 'CNY' },
  });
  check(['SUCCESS', 'PROCESSING'].includes(refund.status), `refund status ${refund.status}`);
  console.log(`ok   ${step}`);

  endpoint.server.close();
}

main().then(() => {
  console.log(`wechatpay-axios-plugin [${mode}]: all steps passed`);
  process.exit(0);
}, (error) => fail(step, error));
