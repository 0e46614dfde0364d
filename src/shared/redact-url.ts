/** URLs as they may appear in logs and messages: any `user:pass@` or `token@` part replaced by `***@`. */

export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/g, '//***@');
}
