export { runService } from '@whis/service';
