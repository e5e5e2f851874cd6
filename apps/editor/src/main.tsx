import { createRoot } from 'react-dom/client';
import '@xyflow/react/dist/style.css';
import 'react-querybuilder/dist/query-builder.css';
import './styles.css';
import { App } from './App.tsx';

createRoot(document.getElementById('root')!).render(<App />);
