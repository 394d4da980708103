export { runService, ServiceExit } from './service.js';
