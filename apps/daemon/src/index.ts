export { runService } from './service.js';
