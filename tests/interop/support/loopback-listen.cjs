// Preloaded (`node --require`) into the HTTP modes of server-everything by the remote-backend
// tests. server-everything 2026.8.31 calls `app.listen(PORT)` with no host, and offers neither
// an option nor an environment variable for one, so it would listen on every interface: this
// makes a listen() given only a port (and maybe a callback) bind 127.0.0.1 instead.
'use strict';
const net = require('node:net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const onlyPort =
    (typeof args[0] === 'number' || (typeof args[0] === 'string' && /^\d+$/.test(args[0]))) &&
    (args.length === 1 || typeof args[1] === 'function');
  if (onlyPort) args.splice(1, 0, '127.0.0.1');
  return listen.apply(this, args);
};
