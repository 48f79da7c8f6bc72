/** The playground page: wires the form, the runner, the results and the history together. */
import '../base.css';
import '../controls.css';
import '../components.css';
import './form.css';
import './output.css';
import { call } from '../lib/api.js';
import { byId, h, setChildren } from '../lib/dom.js';
import type { Catalog, NegativePreset } from '../lib/types.js';
import { CodeDialog } from './code-dialog.js';
import { CompareDialog, type ComparePicture } from './compare.js';
import { PlaygroundForm } from './form.js';
import { History } from './history.js';
import { KeyPanel } from './key.js';
import { Results } from './results.js';
import { Runner } from './run.js';

const announcer = byId('announcer', HTMLDivElement);
const announce = (text: string) => (announcer.textContent = text);

async function start(): Promise<void> {
  let catalog: Catalog;
  try {
    catalog = await call<Catalog>('/v1/models');
  } catch (error) {
    setChildren(byId('form', HTMLFormElement), h('p', { class: 'field-error', role: 'alert' }, `Cannot load the model catalog: ${String(error)}`));
    return;
  }
  const models = new Map(catalog.data.map((model) => [model.id, model]));
  const form = new PlaygroundForm(catalog, announce);
  call<{ data: NegativePreset[] }>('/v1/presets/negative-prompts').then(
    (answer) => form.setPresets(answer.data),
    () => form.setPresets([]),
  );

  // Inputs of this session's tasks, so their results can be compared with them.
  const inputsOf = new Map<string, ComparePicture[]>();
  const compare = new CompareDialog();
  const results = new Results(compare, (blob, name) => form.images.addBlob(blob, name), announce);
  const keyPanel = new KeyPanel(() => void history.reload());
  const history = new History(
    () => keyPanel.key,
    (task) => {
      results.show({ task, model: models.get(task.model_name ?? ''), seed: null, inputs: inputsOf.get(task.task_id) ?? [], balance: null, errorShown: false });
      byId('results', HTMLDivElement).scrollIntoView({ behavior: 'smooth', block: 'start' });
    },
  );
  const runner = new Runner({
    form,
    key: () => keyPanel.key,
    keyMissing: (message) => keyPanel.showError(message),
    finished: ({ task, values, inputs }) => {
      const pictures = inputs.map((input, i) => ({ src: input.preview, label: `Image ${i + 1}` }));
      inputsOf.set(task.task_id, pictures);
      void keyPanel.refreshBalance().then((balance) => {
        results.show({ task, model: values.model, seed: values.seed, inputs: pictures, balance, errorShown: true });
        announce(task.task_status === 'SUCCEEDED' ? `Done: ${task.results?.length ?? 0} images.` : `Task ${task.task_status.toLowerCase()}.`);
      });
      void history.reload();
    },
  });
  new CodeDialog(() => form.values(), () => keyPanel.key);

  const formElement = byId('form', HTMLFormElement);
  formElement.addEventListener('submit', (event) => {
    event.preventDefault();
    void runner.run();
  });
  formElement.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      formElement.requestSubmit();
    }
  });
  void keyPanel.refreshBalance();
  void history.reload();
}

void start();
