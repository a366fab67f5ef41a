// A server speaking LibreTranslate's HTTP API (POST /translate, GET /languages), for the
// translate middleware's LibreTranslate engine. A fixture because LibreTranslate itself cannot
// run here: it is not packaged for Debian, and `pip install libretranslate` downloads its
// language models from the internet. It "translates" English word by word with a small
// dictionary (deterministic, so tests can compute the expected text), and records every request
// so a test can check what the proxy sent (slices, protected pieces, the API key).
import http from 'node:http';

const dictionary = new Map(Object.entries({
  echoes: 'repite', back: 'de vuelta', the: 'la', input: 'entrada', string: 'cadena', message: 'mensaje',
  to: 'a', echo: 'eco', hello: 'hola', world: 'mundo', adds: 'suma', two: 'dos', numbers: 'números',
  and: 'y', of: 'de', a: 'un', returns: 'devuelve', tool: 'herramienta', first: 'primer', number: 'número',
  second: 'segundo',
}));

export function translateWords(text) {
  return text.replace(/[A-Za-z]+/g, (word) => {
    const es = dictionary.get(word.toLowerCase());
    if (!es) return word;
    return word[0] === word[0].toUpperCase() ? es[0].toUpperCase() + es.slice(1) : es;
  });
}

/** Resolves {url, requests, close()}; `apiKey` is the only key accepted (none: any). */
export async function startLibreTranslate({ apiKey, targets = ['es'] } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/languages') {
      reply(200, [{ code: 'en', name: 'English', targets }]);
      return;
    }
    if (req.method !== 'POST' || req.url !== '/translate') {
      reply(404, { error: 'Not Found' });
      return;
    }
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => {
      let body;
      try {
        body = JSON.parse(data);
      } catch {
        reply(400, { error: 'Invalid request: body is not JSON' });
        return;
      }
      requests.push({ contentType: req.headers['content-type'], body });
      if (apiKey !== undefined && body.api_key !== apiKey) {
        reply(403, { error: `Invalid API key ${body.api_key ?? ''}`.trim() });  // echoes it, as a hostile server might
        return;
      }
      if (body.source !== 'en' || !targets.includes(body.target)) {
        reply(400, { error: `${body.source} -> ${body.target} is not available` });
        return;
      }
      const q = body.q;
      reply(200, { translatedText: Array.isArray(q) ? q.map(translateWords) : translateWords(String(q)) });
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}
