// Entry point of the console UI. The transport is chosen before the first render so that, in browser mode,
// the session token leaves the address bar (and history) at once.
import '@mantine/core/styles.css';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { initTransport } from './api/client';
import { App } from './App';

initTransport();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
