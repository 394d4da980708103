export {
  DBusError,
  type DBusErrorCode,
  dbusErrorDetail,
  dbusErrorName,
  dbusErrorReason,
  isServiceMissing,
} from './errors.js';
export {
  loadDBus,
  connectSessionBus,
  type DBusModule,
  type MethodCall,
  type SessionBus,
  type SessionBusOptions,
} from './session-bus.js';
export {
  PORTAL,
  PORTAL_PATH,
  portalToken,
  requestPath,
  portalCall,
  PORTAL_REQUEST_TIMEOUT_MS,
  portalRequest,
  portalVersion,
  closePortalSession,
  type PortalOutcome,
  type PortalRequest,
  type PortalResponse,
  type Vardict,
} from './portal.js';
export type { Message as DBusMessage, Variant } from '@particle/dbus-next';
