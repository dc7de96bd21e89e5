/**
 * cdktf-alb: CDK for Terraform constructs for a JD Cloud-style Application Load Balancer.
 */
export * from './lib/model/enums';
export * from './lib/placement/types';
export * from './constructs/infrastructure';
export * from './constructs/infrastructure/local/local-infrastructure';
export * from './constructs/infrastructure/ssh/ssh-infrastructure';
export * from './constructs/vpc';
export * from './constructs/certificate';
export * from './constructs/machine-template';
export * from './constructs/availability-group';
export * from './constructs/virtual-server-group';
export * from './constructs/backend-service';
export * from './constructs/listener';
export * from './constructs/url-map';
export * from './constructs/load-balancer';
export * from './constructs/warnings';
export * from './constructs/testing';
export * from './constructs/infrastructure/aws/aws-infrastructure';
export { AwsProvider, AwsProviderProps } from './constructs/infrastructure/aws/provider';
