// A module (SDK of modules/sdk/node) for the failure tests: it sees tools/call requests and
// exits when the call's message argument is "crash", never answers when it is "hang", and lets
// everything else through. Each start is logged to stderr with its pid.
import { proceed, runModule } from '../../../modules/sdk/node/mcproxy-module.mjs';

console.error(`crashy-module started, pid ${process.pid}`);
runModule({
  name: 'crashy',
  requests: ['tools/call'],
  onRequest({ params }) {
    const message = params.arguments?.message;
    if (message === 'crash') process.exit(3);
    if (message === 'hang') return new Promise(() => {});
    return proceed();
  },
});
