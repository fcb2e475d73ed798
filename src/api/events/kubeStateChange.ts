import { EventMethodType, UpdateDirectionType, UpdateTransactionType } from '../enums';
import type { UpdateEvent } from '../event';
import type { ProtoMessage } from '../types';
import { renderValue } from './describe';

/** A change of one key of the Kubernetes state. */
export class KubeStateChange implements UpdateEvent {
  static readonly eventName = 'Kubernetes State Change';
  readonly key: string;
  readonly resource: string;
  /** Absent when the key was added. */
  readonly prevValue?: ProtoMessage;
  /** Absent when the key was deleted. */
  readonly newValue?: ProtoMessage;

  constructor(fields: { key: string; resource: string; prevValue?: ProtoMessage | null; newValue?: ProtoMessage | null }) {
    this.key = fields.key;
    this.resource = fields.resource;
    this.prevValue = fields.prevValue ?? undefined;
    this.newValue = fields.newValue ?? undefined;
  }

  getName(): string {
    return KubeStateChange.eventName;
  }

  toString(): string {
    return (
      `${KubeStateChange.eventName}\n * resource: ${this.resource}\n * key: ${this.key}` +
      `\n * prevValue: ${renderValue(this.prevValue)}\n * newValue: ${renderValue(this.newValue)}`
    );
  }

  method(): EventMethodType {
    return EventMethodType.Update;
  }

  transactionType(): UpdateTransactionType {
    return UpdateTransactionType.BestEffort;
  }

  /** A delete flows backwards so that dependants are removed before what they depend on. */
  direction(): UpdateDirectionType {
    return this.newValue === undefined ? UpdateDirectionType.Reverse : UpdateDirectionType.Forward;
  }

  isBlocking(): boolean {
    return false;
  }

  done(): void {}
}
