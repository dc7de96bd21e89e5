/** `npx cdktf synth` / `cdktf deploy` entry point (cdktf.json points here). */
import { App } from 'cdktf';
import { QuickstartStack } from './stack';

const app = new App();
new QuickstartStack(app, 'quickstart');
app.synth();
