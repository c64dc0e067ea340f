/** A part of a BullMQ queue name or job id: ':' is BullMQ's key separator, so anything but letters, digits, '_' and '-' becomes '_'. */
export const bullmqNamePart = (s: string): string => s.replace(/[^A-Za-z0-9_-]/g, '_');
